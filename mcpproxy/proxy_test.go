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
	"github.com/mcpauth/mcpauth/mcphandler"
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

// guarded puts an mcphandler guard in front of the proxy, as gateways do.
func guarded(t *testing.T, upstream string, opts *Options) http.Handler {
	t.Helper()
	u, err := url.Parse(upstream)
	require.NoError(t, err)
	h, err := New(u, opts)
	require.NoError(t, err)
	g, err := mcphandler.New(h, nil)
	require.NoError(t, err)
	return g
}

func newProxy(t *testing.T, upstream string, opts *Options, p *authresult.Principal) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(withPrincipal(p, guarded(t, upstream, opts)))
	t.Cleanup(ts.Close)
	return ts
}

const ping = `{"jsonrpc":"2.0","id":1,"method":"ping"}`

// postJSON sends body with Content-Type application/json.
func postJSON(t *testing.T, url, body string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

func TestHeadersAndPath(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "leak")
		w.Header().Set("Mcp-Session-Id", "s1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer up.Close()
	gw := newProxy(t, up.URL+"/mcp", &Options{UpstreamHeaders: func(_ context.Context, p *authresult.Principal) (http.Header, error) {
		return http.Header{"Authorization": {"Bearer gateway-credential"}, "X-User": {p.Subject}}, nil
	}}, alice)

	resp := postJSON(t, gw.URL+"/gateway/mcp?x=1", ping,
		"Authorization", "Bearer client-token", "Proxy-Authorization", "Basic x",
		"Connection", "X-Client-Hop", "X-Client-Hop", "leak", "Mcp-Protocol-Version", "2025-11-25")
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	assert.Equal(t, "/mcp", got.URL.Path, "the upstream endpoint, whatever the incoming path")
	assert.Empty(t, got.URL.RawQuery)
	assert.Equal(t, ping, string(gotBody))
	assert.Equal(t, "Bearer gateway-credential", got.Header.Get("Authorization"), "never the client's token")
	assert.NotContains(t, strings.Join(got.Header.Values("Authorization"), ","), "client-token")
	assert.Empty(t, got.Header.Get("Proxy-Authorization"))
	assert.Empty(t, got.Header.Get("X-Client-Hop"), "hop-by-hop headers are not forwarded")
	assert.Equal(t, "alice", got.Header.Get("X-User"))
	assert.Equal(t, "2025-11-25", got.Header.Get("Mcp-Protocol-Version"))
	assert.NotEmpty(t, got.Header.Get("X-Forwarded-For"))
	assert.Empty(t, resp.Header.Get("X-Hop"))
	assert.Equal(t, "s1", resp.Header.Get("Mcp-Session-Id"), "the guard bound it and lets it through")

	// In the session the guard bound, the proxy sends the checked id.
	resp = postJSON(t, gw.URL+"/gateway/mcp", ping, "Mcp-Session-Id", "s1")
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []string{"s1"}, got.Header.Values("Mcp-Session-Id"))
}

// TestUpstreamGetsWhatWasChecked: the upstream request is built from the
// guard's admission, not copied from the client's: the exact body bytes,
// a Content-Type the proxy writes, and only allow-listed headers.
func TestUpstreamGetsWhatWasChecked(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer up.Close()
	gw := newProxy(t, up.URL+"/mcp", &Options{ForwardHeaders: []string{"x-tenant"}}, alice)
	body := "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"\\u00e9\"}} \n"
	resp := postJSON(t, gw.URL+"/mcp?access=1", body,
		"Accept", "application/json, text/event-stream",
		"X-Tenant", "t1", "X-Http-Method-Override", "DELETE", "Cookie", "session=1", "Forwarded", "for=evil",
		"Content-Encoding", "identity", "Mcp-Method", "tools/call")
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, body, string(gotBody), "the exact bytes the guard parsed")
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, int64(len(body)), got.ContentLength)
	assert.Equal(t, "application/json, text/event-stream", got.Header.Get("Accept"))
	assert.Equal(t, "t1", got.Header.Get("X-Tenant"), "named in ForwardHeaders")
	for _, name := range []string{"X-Http-Method-Override", "Cookie", "Forwarded", "Content-Encoding", "Mcp-Method", "Mcp-Session-Id"} {
		assert.Empty(t, got.Header.Values(name), "%s is not forwarded", name)
	}
}

// TestForwardedFromTheConnection: what the upstream learns of the client's
// connection is what the gateway saw, never what the client wrote: its
// X-Forwarded-*, Forwarded, X-Real-Ip and Host (as X-Forwarded-Host) are
// dropped, and a credentials hook cannot forge them either.
func TestForwardedFromTheConnection(t *testing.T) {
	got := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer up.Close()
	gw := newProxy(t, up.URL+"/mcp", nil, alice)
	req, err := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(ping))
	require.NoError(t, err)
	req.Host = "admin.internal.example"
	req.Header.Set("Content-Type", "application/json")
	for k, v := range map[string]string{
		"X-Forwarded-For": "10.0.0.1", "X-Forwarded-Host": "spoofed.example", "X-Forwarded-Proto": "https",
		"X-Real-Ip": "10.0.0.2", "Forwarded": "for=10.0.0.3;host=spoofed.example",
	} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	h := <-got
	assert.Equal(t, []string{"127.0.0.1"}, h.Values("X-Forwarded-For"), "the gateway's peer, alone")
	assert.Equal(t, []string{"http"}, h.Values("X-Forwarded-Proto"))
	for _, name := range []string{"X-Forwarded-Host", "X-Real-Ip", "Forwarded"} {
		assert.Empty(t, h.Values(name), name)
	}

	for _, name := range []string{"X-Forwarded-For", "x-forwarded-proto"} {
		u, _ := url.Parse(up.URL)
		h, err := New(u, &Options{UpstreamHeaders: func(context.Context, *authresult.Principal) (http.Header, error) {
			return http.Header{name: {"10.0.0.9"}}, nil
		}})
		require.NoError(t, err)
		g, err := mcphandler.New(h, nil)
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(ping))
		r.Header.Set("Content-Type", "application/json")
		withPrincipal(alice, g).ServeHTTP(rec, r)
		assert.Equal(t, http.StatusInternalServerError, rec.Code, "a hook setting %s", name)
	}
}

func TestForwardHeadersValidation(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1/mcp")
	for _, name := range []string{"Authorization", "connection", "Mcp-Session-Id", "Content-Type", "Accept-Encoding", "X_Tenant", "bad name", "", "X-Forwarded-For", "X-Real-IP", "traceparent", "Tracestate"} {
		_, err := New(u, &Options{ForwardHeaders: []string{name}})
		assert.ErrorIs(t, err, errConfig, name)
	}
	_, err := New(u, &Options{ForwardHeaders: []string{"X-Tenant", "X-Request-Id"}})
	assert.NoError(t, err)
}

// TestRefusesWithoutAdmission: mounted without a guard, the proxy forwards
// nothing, even with a principal.
func TestRefusesWithoutAdmission(t *testing.T) {
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	h, err := New(u, nil)
	require.NoError(t, err)
	gw := httptest.NewServer(withPrincipal(alice, h))
	defer gw.Close()
	resp := postJSON(t, gw.URL, ping)
	resp.Body.Close()
	assert.Equal(t, 500, resp.StatusCode)
	assert.Zero(t, calls.Load())
}

// TestUpstreamHeadersCannotOverrideChecked: a credentials hook cannot put
// a session id or a body type of its own on the request.
func TestUpstreamHeadersCannotOverrideChecked(t *testing.T) {
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer up.Close()
	for _, name := range []string{"Mcp-Session-Id", "content-type", "Mcp-Protocol-Version"} {
		gw := newProxy(t, up.URL, &Options{UpstreamHeaders: func(context.Context, *authresult.Principal) (http.Header, error) {
			return http.Header{name: {"x"}}, nil
		}}, alice)
		resp := postJSON(t, gw.URL, ping)
		resp.Body.Close()
		assert.Equal(t, 500, resp.StatusCode, name)
	}
	assert.Zero(t, calls.Load())
}

func TestUnderscoreHeadersDropped(t *testing.T) {
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer up.Close()
	gw := newProxy(t, up.URL, &Options{ForwardHeaders: []string{"X-Fine"}}, alice)
	resp := postJSON(t, gw.URL, ping, "X_Fine", "dropped", "X-Fine", "kept", "X_Other", "dropped")
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
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
	h := guarded(t, up.URL, nil)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(ping))
	r.Header.Set("Content-Type", "application/json")
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
	resp := postJSON(t, gw.URL, ping, "Authorization", "Bearer client-token")
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
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
		resp, err := http.Post(gw.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":"q-7","method":"ping"}`))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 502, resp.StatusCode)
		assert.Contains(t, string(body), `"id":"q-7"`, "the 502 echoes the request id")
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
	resp := postJSON(t, gw.URL, ping)
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

// A transport that edits the outgoing header in place (against the
// RoundTripper contract, as TLS-fixup wrappers do) changes only its own
// request: the next one still says what its connection was.
func TestTransportEditsStayInTheirRequest(t *testing.T) {
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("Content-Type"))
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer up.Close()
	n := 0
	inplace := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		n++
		if n == 1 {
			for _, k := range []string{"X-Forwarded-Proto", "Content-Type"} {
				if v := r.Header[k]; len(v) > 0 {
					v[0] = "edited"
				}
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	gw := newProxy(t, up.URL, &Options{Transport: inplace}, alice)
	postJSON(t, gw.URL, ping).Body.Close()
	postJSON(t, gw.URL, ping).Body.Close()
	assert.Equal(t, []string{"edited edited", "http application/json"}, got)
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
