package mcpproxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// TestProxyDecisions: every way a request leaves the proxy is reported
// once, with layer proxy and its reason.
func TestProxyDecisions(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	refuses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer refuses.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	failing := func(err error) func(context.Context, *authresult.Principal) (http.Header, error) {
		return func(context.Context, *authresult.Principal) (http.Header, error) { return nil, err }
	}
	tests := []struct {
		name     string
		upstream string
		opts     Options
		guard    bool // an mcphandler guard in front, as it must be
		p        *authresult.Principal
		status   int
		reason   decision.Reason
	}{
		{name: "forwarded", upstream: ok.URL, guard: true, p: alice, status: 200, reason: decision.ReasonOK},
		{name: "upstream error is the upstream's answer", upstream: broken.URL, guard: true, p: alice, status: 500, reason: decision.ReasonOK},
		{name: "upstream refuses the gateway", upstream: refuses.URL, guard: true, p: alice, status: 502, reason: decision.ReasonUpstreamRefused},
		{name: "upstream down", upstream: down.URL, guard: true, p: alice, status: 502, reason: decision.ReasonUpstream},
		{name: "credentials forbidden", upstream: ok.URL, guard: true, p: alice, opts: Options{UpstreamHeaders: failing(authresult.Forbidden("tenant suspended", nil))}, status: 403, reason: decision.ReasonForbidden},
		{name: "credentials fail", upstream: ok.URL, guard: true, p: alice, opts: Options{UpstreamHeaders: failing(errors.New("vault down"))}, status: 500, reason: decision.ReasonInternal},
		{name: "credentials unavailable", upstream: ok.URL, guard: true, p: alice, opts: Options{UpstreamHeaders: failing(authresult.Unavailable("token server down", 0, nil))}, status: 503, reason: decision.ReasonUnavailable},
		{name: "no guard", upstream: ok.URL, p: alice, status: 500, reason: decision.ReasonInternal},
		{name: "no principal", upstream: ok.URL, status: 401, reason: decision.ReasonNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []decision.Decision
			opts := tt.opts
			opts.OnDecision = func(_ *http.Request, d decision.Decision) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, d)
			}
			u, err := url.Parse(tt.upstream)
			require.NoError(t, err)
			var h http.Handler
			h, err = New(u, &opts)
			require.NoError(t, err)
			if tt.guard {
				h, err = mcphandler.New(h, nil)
				require.NoError(t, err)
			}
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}`))
			r.Header.Set("Content-Type", "application/json")
			if tt.p != nil {
				r = r.WithContext(authresult.NewContext(r.Context(), tt.p))
			}
			rec := httptest.NewRecorder()
			withPrincipal(nil, h).ServeHTTP(rec, r)
			require.Equal(t, tt.status, rec.Code)

			mu.Lock()
			defer mu.Unlock()
			require.Len(t, got, 1)
			d := got[0]
			assert.Equal(t, decision.LayerProxy, d.Layer)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.status, d.Status)
			if tt.reason == decision.ReasonOK {
				assert.Equal(t, decision.Allowed, d.Outcome)
				assert.NoError(t, d.Err)
				assert.Positive(t, d.Latency)
			} else {
				assert.Equal(t, decision.OutcomeOf(tt.status), d.Outcome)
				assert.Error(t, d.Err)
			}
			if tt.guard {
				assert.Equal(t, "tools/call", d.Method)
				assert.Equal(t, "echo", d.Tool)
				assert.Equal(t, "alice", d.Subject)
			}
		})
	}
}

// TestTraceContextForwarded: a well-formed W3C traceparent (and the
// tracestate beside it) reaches the upstream; anything else is dropped.
func TestTraceContextForwarded(t *testing.T) {
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var mu sync.Mutex
	var seen http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
	}))
	defer up.Close()
	gw := newProxy(t, up.URL, &Options{ForwardTraceContext: true}, alice)
	tests := []struct {
		name       string
		hdr        []string
		parent     string
		traceState string
	}{
		{"valid", []string{"Traceparent", valid, "Tracestate", "vendor=x"}, valid, "vendor=x"},
		{"upper-case hex", []string{"Traceparent", strings.ToUpper(valid)}, "", ""},
		{"zero trace id", []string{"Traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, "", ""},
		{"zero parent id", []string{"Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}, "", ""},
		{"unknown version", []string{"Traceparent", "ff" + valid[2:]}, "", ""},
		{"trailing data", []string{"Traceparent", valid + "-x"}, "", ""},
		{"two traceparents", []string{"Traceparent", valid, "Traceparent", valid}, "", ""},
		{"tracestate without traceparent", []string{"Tracestate", "vendor=x"}, "", ""},
		{"oversized tracestate", []string{"Traceparent", valid, "Tracestate", strings.Repeat("a", 513)}, valid, ""},
		{"control character in tracestate", []string{"Traceparent", valid, "Tracestate", "a=\tb"}, valid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := postJSON(t, gw.URL, ping, tt.hdr...)
			resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tt.parent, seen.Get("Traceparent"))
			assert.Equal(t, tt.traceState, seen.Get("Tracestate"))
		})
	}
}

// TestTraceContextOptIn: without ForwardTraceContext the client's trace
// context stays at the gateway; no hook or option can set it either.
func TestTraceContextOptIn(t *testing.T) {
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	seen := make(chan http.Header, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Clone() }))
	defer up.Close()
	gw := newProxy(t, up.URL, nil, alice)
	resp := postJSON(t, gw.URL, ping, "Traceparent", valid, "Tracestate", "dd=s:2")
	resp.Body.Close()
	h := <-seen
	assert.Empty(t, h.Get("Traceparent"))
	assert.Empty(t, h.Get("Tracestate"))

	u, _ := url.Parse(up.URL)
	_, err := New(u, &Options{ForwardHeaders: []string{"traceparent"}})
	assert.Error(t, err, "not through ForwardHeaders, unvalidated")
}

// TestModifyResponseWithoutRequest: a transport that returns a response
// without its request does not crash the proxy.
func TestModifyResponseWithoutRequest(t *testing.T) {
	rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody}, nil
	})
	for _, hook := range []decision.Hook{nil, func(*http.Request, decision.Decision) {}} {
		gw := newProxy(t, "http://127.0.0.1:1/mcp", &Options{Transport: rt, OnDecision: hook}, alice)
		resp := postJSON(t, gw.URL, ping)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestProxyDecisionClientGone: a client that leaves before the upstream
// answers is reported as aborted with status 0.
func TestProxyDecisionClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-release
	}))
	defer up.Close()
	defer close(release)
	got := make(chan decision.Decision, 2)
	u, _ := url.Parse(up.URL)
	p, err := New(u, &Options{OnDecision: func(_ *http.Request, d decision.Decision) { got <- d }})
	require.NoError(t, err)
	h, err := mcphandler.New(p, nil)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(ping))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(authresult.NewContext(ctx, alice)))
	d := <-got
	assert.Equal(t, decision.ReasonAborted, d.Reason)
	assert.Equal(t, decision.Allowed, d.Outcome)
	assert.Zero(t, d.Status)
	assert.Empty(t, got, "one decision")
}
