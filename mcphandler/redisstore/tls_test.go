package redisstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
)

// TestStoreTLSAndACL runs the store against a redis-server that speaks
// only TLS and knows only an ACL user limited to the store's keys: the
// store works with that user's credentials over TLS, and not with a
// wrong password, without TLS, or for keys outside its prefix.
func TestStoreTLSAndACL(t *testing.T) {
	redistest.Start(t).Stop() // the same skip (or CI failure) without redis-server
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, certPEM, 0o600))
	require.NoError(t, os.WriteFile(key, keyPEM, 0o600))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	require.NoError(t, ln.Close())
	cmd := exec.Command("redis-server", "--port", "0", "--tls-port", port, "--bind", "127.0.0.1",
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", cert, "--tls-auth-clients", "no",
		"--save", "", "--appendonly", "no",
		"--user", "default", "off", "--user", "mcp", "on", ">s3cret-pass", "~mcpauth:*", "+@all")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	defer func() {
		if t.Failed() {
			t.Log(out.String())
		}
	}()

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	client := func(user, pass string, tlsOn bool) *redis.Client {
		o := &redis.Options{Addr: addr, Username: user, Password: pass, MaxRetries: -1, DialTimeout: time.Second}
		if tlsOn {
			o.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
		}
		c := redis.NewClient(o)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	good := client("mcp", "s3cret-pass", true)
	require.Eventually(t, func() bool { return good.Ping(context.Background()).Err() == nil }, 10*time.Second, 20*time.Millisecond)

	ctx := context.Background()
	s := newStore(t, good, nil)
	_, err = s.Bind(ctx, "s1", alice)
	require.NoError(t, err)
	ok, err := s.Check(ctx, "s1", alice)
	require.NoError(t, err)
	assert.True(t, ok, "over TLS with the ACL user")

	for name, c := range map[string]*redis.Client{
		"wrong password": client("mcp", "guess", true),
		"no TLS":         client("mcp", "s3cret-pass", false),
	} {
		_, err := newStore(t, c, nil).Check(ctx, "s1", alice)
		assert.Error(t, err, name)
	}
	_, err = newStore(t, good, func(o *Options) { o.Prefix = "other:" }).Bind(ctx, "s1", alice)
	assert.Error(t, err, "the ACL user may not touch keys outside its prefix")
}

// selfSigned returns a certificate for 127.0.0.1 and its key, in PEM.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kd, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}
