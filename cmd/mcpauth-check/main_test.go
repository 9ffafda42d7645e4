package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/mcpauthtest"
)

// open is a server that serves anyone: what the checks exist to catch.
var open = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Mcp-Session-Id", "s-1")
	_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}`))
})

func noEnv(string) (string, bool) { return "", false }

func TestFailsAnOpenServer(t *testing.T) {
	srv := httptest.NewServer(open)
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run([]string{"-token", "secret-token-value", "-bad-token", "throw=throw-token-value", srv.URL + "/mcp"}, &out, &errOut, noEnv)
	assert.Equal(t, 1, code, errOut.String())
	s := out.String()
	assert.Contains(t, s, "VERDICT")
	assert.Regexp(t, `FAIL +bad-token/invalid`, s)
	assert.Contains(t, s, "Why the failures matter:")
	assert.Contains(t, s, "bad-token/throw")
	assert.Regexp(t, `\d+ passed, \d+ failed, \d+ skipped`, s)
	assert.NotContains(t, s, "secret-token-value", "tokens are never printed")
	assert.NotContains(t, s, "throw-token-value")
}

func TestJSONAndEnvironment(t *testing.T) {
	srv := httptest.NewServer(open)
	defer srv.Close()
	env := func(k string) (string, bool) {
		if k == "MCPAUTH_CHECK_TOKEN" {
			return "from-env", true
		}
		return "", false
	}
	var out, errOut bytes.Buffer
	code := run([]string{"-json", srv.URL + "/mcp"}, &out, &errOut, env)
	assert.Equal(t, 1, code, errOut.String())
	var results []mcpauthtest.Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &results))
	require.NotEmpty(t, results)
	assert.Equal(t, "valid-token/works", results[0].Name)
	assert.Equal(t, mcpauthtest.Pass, results[0].Verdict)
	assert.NotContains(t, out.String(), "from-env")
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"http://127.0.0.1:1/mcp"},     // no token
		{"-token", "t", "ftp://x/mcp"}, // not http(s)
		{"-token", "t", "-args", "[1]", "http://x/mcp"}, // not an object
		{"-token", "t", "-bad-token", "nolabel", "http://x/mcp"},
		{"-token", "t", "a", "b"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(args, &out, &errOut, noEnv), strings.Join(args, " "))
		assert.NotEmpty(t, errOut.String())
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, 0, run([]string{"-h"}, &out, &errOut, noEnv))
	assert.Contains(t, errOut.String(), "usage: mcpauth-check")
}

func TestUnreachableServerFails(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 1, run([]string{"-token", "t", "http://127.0.0.1:1/mcp"}, &out, &errOut, noEnv))
	assert.Regexp(t, `FAIL +valid-token/works`, out.String())
}
