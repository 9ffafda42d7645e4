package mcpproxy

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = &authresult.Principal{Subject: "alice", Issuer: "https://idp"}

// withPrincipal stands in for the authentication middleware.
func withPrincipal(p *authresult.Principal, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p != nil {
			r = r.WithContext(authresult.NewContext(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	})
}

func newProxy(t *testing.T, upstream string, opts *Options, p *authresult.Principal) *httptest.Server {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	h, err := New(u, opts)
	require.NoError(t, err)
	ts := httptest.NewServer(withPrincipal(p, h))
	t.Cleanup(ts.Close)
	return ts
}

func TestHeadersAndPath(t *testing.T) {
	var got *http.Request
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "leak")
		w.Header().Set("Mcp-Session-Id", "s1")
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()
	gw := newProxy(t, up.URL+"/mcp", &Options{UpstreamHeaders: func(_ context.Context, p *authresult.Principal) (http.Header, error) {
		return http.Header{"Authorization": {"Bearer gateway-credential"}, "X-User": {p.Subject}}, nil
	}}, alice)

	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/gateway/mcp?x=1", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer client-token")
	req.Header.Set("Proxy-Authorization", "Basic x")
	req.Header.Set("Connection", "X-Client-Hop")
	req.Header.Set("X-Client-Hop", "leak")
	req.Header.Set("Mcp-Session-Id", "s1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	assert.Equal(t, "/mcp", got.URL.Path, "the upstream endpoint, whatever the incoming path")
	assert.Empty(t, got.URL.RawQuery)
	assert.Equal(t, "Bearer gateway-credential", got.Header.Get("Authorization"), "never the client's token")
	assert.NotContains(t, strings.Join(got.Header.Values("Authorization"), ","), "client-token")
	assert.Empty(t, got.Header.Get("Proxy-Authorization"))
	assert.Empty(t, got.Header.Get("X-Client-Hop"), "hop-by-hop headers are not forwarded")
	assert.Equal(t, "alice", got.Header.Get("X-User"))
	assert.Equal(t, "s1", got.Header.Get("Mcp-Session-Id"))
	assert.NotEmpty(t, got.Header.Get("X-Forwarded-For"))
	assert.Empty(t, resp.Header.Get("X-Hop"))
	assert.Equal(t, "s1", resp.Header.Get("Mcp-Session-Id"))
}

func TestUnderscoreHeadersDropped(t *testing.T) {
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer up.Close()
	gw := newProxy(t, up.URL, nil, alice)
	req, _ := http.NewRequest(http.MethodPost, gw.URL, strings.NewReader(`{}`))
	req.Header["Mcp_Session_Id"] = []string{"alices-session"}
	req.Header["Mcp_protocol_version"] = []string{"2025-11-25"}
	req.Header.Set("X-Fine", "kept")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	for name := range got {
		assert.NotContains(t, name, "_", "header %q reached the upstream", name)
	}
	assert.Equal(t, "kept", got.Get("X-Fine"))
}

func TestResponsesArriveUncompressed(t *testing.T) {
	var sawAE atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAE.Store(r.Header.Get("Accept-Encoding"))
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			_, _ = io.WriteString(gz, `{"jsonrpc":"2.0","id":1,"result":{}}`)
			_ = gz.Close()
			return
		}
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	h, err := New(u, nil)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{}`))
	r.Header.Set("Accept-Encoding", "gzip, br")
	r = r.WithContext(authresult.NewContext(r.Context(), alice))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Empty(t, w.Header().Get("Content-Encoding"), "what the guard sees is plain")
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":1,"result":{}}`, w.Body.String())
	assert.Equal(t, "gzip", sawAE.Load(), "the transport negotiates compression itself")
}

func TestClientTokenNotForwardedWithoutHook(t *testing.T) {
	var auth atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
	}))
	defer up.Close()
	gw := newProxy(t, up.URL, nil, alice)
	req, _ := http.NewRequest(http.MethodPost, gw.URL, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer client-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "", auth.Load())
}

func TestSSEIsStreamed(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = io.WriteString(w, "data: second\n\n")
	}))
	defer up.Close()
	defer close(release)
	gw := newProxy(t, up.URL, nil, alice)
	resp, err := http.Get(gw.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err, "the first event arrives while the upstream still holds the stream")
	assert.Equal(t, "data: first\n", line)
}

func TestUpstreamFailures(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	refuses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "upstream secret detail", http.StatusUnauthorized)
	}))
	defer refuses.Close()
	for _, u := range []string{downURL, refuses.URL} {
		gw := newProxy(t, u, nil, alice)
		resp, err := http.Post(gw.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 502, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("WWW-Authenticate"), "the upstream's challenge is not the client's")
		assert.NotContains(t, string(body), "secret")
		assert.NotContains(t, string(body), "127.0.0.1")
	}
}

func TestRefusesWithoutPrincipal(t *testing.T) {
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer up.Close()
	gw := newProxy(t, up.URL, nil, nil)
	resp, err := http.Post(gw.URL, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	assert.Zero(t, calls.Load())
}

func TestUpstreamHeadersError(t *testing.T) {
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer up.Close()
	for err, status := range map[error]int{
		authresult.Forbidden("tenant suspended", nil): 403,
		errors.New("vault: token for tenant x"):       500,
	} {
		gw := newProxy(t, up.URL, &Options{UpstreamHeaders: func(context.Context, *authresult.Principal) (http.Header, error) {
			return nil, err
		}}, alice)
		resp, e := http.Post(gw.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":4,"method":"ping"}`))
		require.NoError(t, e)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, status, resp.StatusCode)
		assert.Contains(t, string(body), `"id":4`)
		assert.NotContains(t, string(body), "vault")
	}
	assert.Zero(t, calls.Load())
}

func TestNewValidation(t *testing.T) {
	for _, s := range []string{"/mcp", "ftp://x/mcp", "http:///mcp"} {
		u, _ := url.Parse(s)
		_, err := New(u, nil)
		assert.Error(t, err, s)
	}
	_, err := New(nil, nil)
	assert.Error(t, err)
}
