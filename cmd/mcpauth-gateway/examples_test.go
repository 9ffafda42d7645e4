package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExampleConfigs checks that the configuration files the README
// shows are valid as shipped (production.yaml with its TLS files in a
// temporary directory).
func TestExampleConfigs(t *testing.T) {
	t.Setenv("UPSTREAM_TOKEN", "example-token")
	t.Setenv("EXCHANGE_SECRET", "example-secret")
	t.Setenv("FILES_TOKEN", "example-token")
	require.NoError(t, checkConfig("examples/server.yaml", overrides{}))
	require.NoError(t, checkConfig("examples/stdio.yaml", overrides{}))

	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir, "example")
	b, err := os.ReadFile("examples/production.yaml")
	require.NoError(t, err)
	prod := strings.NewReplacer("/etc/mcpauth/tls.crt", certFile, "/etc/mcpauth/tls.key", keyFile).Replace(string(b))
	file := filepath.Join(dir, "production.yaml")
	require.NoError(t, os.WriteFile(file, []byte(prod), 0o600))
	require.NoError(t, checkConfig(file, overrides{}))
}
