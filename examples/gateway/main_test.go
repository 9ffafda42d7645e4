package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/examples/internal/demo"
)

func TestGateway(t *testing.T) {
	var seenAuth atomic.Value
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		seenAuth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(up.Close)
	upURL, _ := url.Parse(up.URL + "/mcp")

	pol, _, err := parsePolicy(`{"tools":{"search":[],"delete":["mcp:admin"]}}`)
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(nil)
	stack, err := demo.NewStack(&demo.Config{}, "http://"+ts.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(stack.Close)
	h, err := newHandler(stack, upURL, "gateway-secret", pol)
	require.NoError(t, err)
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	toks, err := stack.DemoTokens()
	require.NoError(t, err)

	post := func(token, body string) int {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	call := func(tool string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `"}}`
	}
	assert.Equal(t, 401, post("", call("search")))
	assert.Equal(t, 401, post("forged", call("search")))
	assert.Equal(t, 403, post(toks.Reader, call("delete")))
	assert.Equal(t, 403, post(toks.Admin, call("undeclared")))
	assert.Zero(t, calls.Load(), "nothing refused reached the upstream")

	assert.Equal(t, 200, post(toks.Reader, call("search")))
	assert.Equal(t, 200, post(toks.Admin, call("delete")))
	assert.Equal(t, "Bearer gateway-secret", seenAuth.Load(), "the gateway's credential, never the client's token")
}

func TestParsePolicy(t *testing.T) {
	p, warning, err := parsePolicy("")
	assert.NoError(t, err)
	assert.Nil(t, p)
	assert.Empty(t, warning)
	_, _, err = parsePolicy(`{"tools":{"a":[]},"unknown":1}`)
	assert.Error(t, err, "unknown fields are refused, not ignored")
	_, _, err = parsePolicy(`{"tools":`)
	assert.Error(t, err)
	file := filepath.Join(t.TempDir(), "p.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"tools":{"a":["s"]},"implies":{"admin":["s"]}}`), 0o600))
	p, warning, err = parsePolicy("@" + file)
	require.NoError(t, err)
	assert.Equal(t, []string{"s"}, p.Tools["a"])
	assert.Empty(t, warning)
	_, _, err = parsePolicy("@/nonexistent/policy.json")
	assert.Error(t, err)

	// A policy without tools hides every tool: say so.
	_, warning, err = parsePolicy(`{}`)
	require.NoError(t, err)
	assert.Contains(t, warning, "every tool is hidden")
	_, warning, _ = parsePolicy(`{"allowUndeclaredTools":true}`)
	assert.Empty(t, warning)
}

func TestRunNeedsUpstream(t *testing.T) {
	assert.Error(t, run(&demo.Config{Addr: "127.0.0.1:0"}, "", "", ""))
	assert.Error(t, run(&demo.Config{Addr: "127.0.0.1:0"}, "http://127.0.0.1:1/mcp", "", "{bad"))
}
