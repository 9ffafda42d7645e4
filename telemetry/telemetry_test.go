package telemetry

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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcpproxy"
	"github.com/mcpauth/mcpauth/middleware"
)

const (
	readerToken = "reader-token-5e1f"
	secretSID   = "sid-7f3a-secret"
)

// stack is a gateway as the examples build it: telemetry around the
// authentication middleware, the guard and the proxy, in front of an
// upstream that records what it receives.
type stack struct {
	url      string
	reader   *sdkmetric.ManualReader
	spans    *tracetest.InMemoryExporter
	mu       sync.Mutex
	upstream []http.Header
}

func newStack(t *testing.T, edit ...func(*Options)) *stack {
	t.Helper()
	s := &stack{reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter()}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.upstream = append(s.upstream, r.Header.Clone())
		s.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"initialize"`) {
			w.Header().Set("Mcp-Session-Id", secretSID)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(up.Close)

	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(s.spans))
	o := &Options{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader)), TracerProvider: tp}
	for _, e := range edit {
		e(o)
	}
	tel, err := New(o)
	require.NoError(t, err)
	hook := tel.Hook()
	u, _ := url.Parse(up.URL)
	proxy, err := mcpproxy.New(u, &mcpproxy.Options{OnDecision: hook, Transport: tel.Transport(nil)})
	require.NoError(t, err)
	guard, err := mcphandler.New(proxy, &mcphandler.Options{
		OnDecision: hook,
		Store:      tel.Store(mcphandler.NewMemoryStore(nil)),
		Policy:     &mcphandler.Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}},
	})
	require.NoError(t, err)
	auth, err := middleware.New(tel.Verifier(middleware.TokenVerifierFunc(func(_ context.Context, token string) (*authresult.Principal, error) {
		if token == readerToken {
			return &authresult.Principal{Subject: "alice", Issuer: "https://idp"}, nil
		}
		return nil, authresult.InvalidToken("invalid token", errors.New("signature mismatch"))
	})), &middleware.Options{OnDecision: hook})
	require.NoError(t, err)
	srv := httptest.NewServer(tel.Handler(auth.Handler(guard)))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *stack) post(t *testing.T, token, body string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/mcp", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

const (
	initBody  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	callEcho  = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}`
	callAdmin = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"admin_reset"}}`
)

// counts returns the mcpauth.decisions counter by "layer/outcome/reason",
// and how many latencies the histogram holds.
func (s *stack) counts(t *testing.T) (map[string]int64, uint64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	var latencies uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name != "mcpauth.decisions" {
					continue
				}
				for _, p := range data.DataPoints {
					l, _ := p.Attributes.Value("layer")
					o, _ := p.Attributes.Value("outcome")
					r, _ := p.Attributes.Value("reason")
					got[l.AsString()+"/"+o.AsString()+"/"+r.AsString()] += p.Value
				}
			case metricdata.Histogram[float64]:
				if m.Name == "mcpauth.decision.duration" {
					for _, p := range data.DataPoints {
						latencies += p.Count
					}
				}
			}
		}
	}
	return got, latencies
}

// TestMetricsByReason: a scripted mix of requests shows in the counter by
// layer, outcome and reason, and every decision has a latency.
func TestMetricsByReason(t *testing.T) {
	s := newStack(t)
	require.Equal(t, 200, s.post(t, readerToken, initBody).StatusCode)
	require.Equal(t, 200, s.post(t, readerToken, callEcho, "Mcp-Session-Id", secretSID).StatusCode)
	require.Equal(t, 401, s.post(t, "", callEcho).StatusCode)
	require.Equal(t, 401, s.post(t, "forged", callEcho).StatusCode)
	require.Equal(t, 403, s.post(t, readerToken, callAdmin, "Mcp-Session-Id", secretSID).StatusCode)
	require.Equal(t, 404, s.post(t, readerToken, callEcho, "Mcp-Session-Id", "someone-elses").StatusCode)

	got, latencies := s.counts(t)
	assert.Equal(t, map[string]int64{
		"authentication/allowed/ok":             4,
		"authentication/refused/no_credentials": 1,
		"authentication/refused/invalid_token":  1,
		"guard/allowed/ok":                      2,
		"guard/refused/insufficient_scope":      1,
		"guard/refused/session_not_found":       1,
		"proxy/allowed/ok":                      2,
	}, got)
	assert.EqualValues(t, 12, latencies)
}

// TestOneTracePerRequest: each request is one trace, of its own but
// linked to the client's (or, trusting the client, continuing it);
// verification and the upstream call are spans in it, and the upstream
// receives it in traceparent.
func TestOneTracePerRequest(t *testing.T) {
	const client = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	clientTrace, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	require.NoError(t, err)
	for _, trust := range []bool{false, true} {
		t.Run(map[bool]string{false: "client linked", true: "client trusted"}[trust], func(t *testing.T) {
			s := newStack(t, func(o *Options) { o.TrustClientTrace = trust })
			require.Equal(t, 200, s.post(t, readerToken, initBody, "Traceparent", client).StatusCode)
			require.Equal(t, 200, s.post(t, readerToken, callEcho, "Mcp-Session-Id", secretSID).StatusCode)

			// The server span ends after the response has been sent.
			require.Eventually(t, func() bool { return len(s.spans.GetSpans()) == 6 }, 5*time.Second, time.Millisecond, "three spans per request")
			spans := s.spans.GetSpans()
			traces := map[trace.TraceID][]tracetest.SpanStub{}
			servers := map[string]tracetest.SpanStub{}
			for _, sp := range spans {
				traces[sp.SpanContext.TraceID()] = append(traces[sp.SpanContext.TraceID()], sp)
				if sp.SpanKind == trace.SpanKindServer {
					servers[sp.Name] = sp
				}
			}
			require.Len(t, traces, 2, "one trace per request")
			require.Contains(t, servers, "initialize", "the server span takes the MCP method's name")
			require.Contains(t, servers, "tools/call", "the method alone: a tool is whatever the request names")
			first := servers["initialize"].SpanContext.TraceID()
			if trust {
				assert.Equal(t, clientTrace, first, "the client's trace is continued")
			} else {
				assert.NotEqual(t, clientTrace, first, "a trace of its own")
				require.Len(t, servers["initialize"].Links, 1)
				assert.Equal(t, clientTrace, servers["initialize"].Links[0].SpanContext.TraceID(), "linked to the client's")
			}

			s.mu.Lock()
			upstream := append([]http.Header(nil), s.upstream...)
			s.mu.Unlock()
			require.Len(t, upstream, 2)
			assert.Contains(t, upstream[0].Get("Traceparent"), first.String(), "the upstream request carries the trace")
			assert.Contains(t, upstream[1].Get("Traceparent"), servers["tools/call"].SpanContext.TraceID().String())

			for id, group := range traces {
				names := map[string]bool{}
				for _, sp := range group {
					names[sp.Name] = true
					assert.Equal(t, id, sp.SpanContext.TraceID())
				}
				assert.Contains(t, names, "mcpauth.verify")
				assert.Contains(t, names, "upstream POST")
			}
			for _, server := range servers {
				attrs := map[string]string{}
				for _, a := range server.Attributes {
					attrs[string(a.Key)] = a.Value.String()
				}
				assert.Equal(t, decision.HashSession(secretSID), attrs["mcp.session.id"], "the session is hashed")
				assert.Equal(t, "200", attrs["http.response.status_code"])
				var events []string
				for _, e := range server.Events {
					events = append(events, e.Name)
				}
				assert.Equal(t, []string{"mcpauth.decision", "mcpauth.decision", "mcpauth.decision"}, events, "one event per layer")
			}
			attrs := map[string]string{}
			for _, a := range servers["tools/call"].Attributes {
				attrs[string(a.Key)] = a.Value.String()
			}
			assert.Equal(t, "tools/call", attrs["mcp.method.name"])
			assert.Equal(t, "echo", attrs["gen_ai.tool.name"])

			for _, sp := range spans {
				for _, a := range sp.Attributes {
					assert.NotContains(t, a.Value.String(), readerToken, "no token in a span")
					assert.NotContains(t, a.Value.String(), secretSID, "no session id in a span")
				}
			}
		})
	}
}

// TestClientCannotSteerTracing: by default a client's sampled flag
// neither hides its requests from the traces nor names their spans.
func TestClientCannotSteerTracing(t *testing.T) {
	s := newStack(t)
	unsampled := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
	require.Equal(t, 200, s.post(t, readerToken, initBody, "Traceparent", unsampled).StatusCode)
	resp := s.post(t, readerToken, `{"jsonrpc":"2.0","id":9,"method":"x-`+strings.Repeat("a", 100)+`"}`, "Mcp-Session-Id", secretSID)
	require.Less(t, resp.StatusCode, 500)
	req, err := http.NewRequest("BREW", s.url+"/mcp", nil)
	require.NoError(t, err)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Eventually(t, func() bool { return len(s.spans.GetSpans()) >= 3 }, 5*time.Second, time.Millisecond)
	names := map[string]bool{}
	for _, sp := range s.spans.GetSpans() {
		if sp.SpanKind == trace.SpanKindServer {
			names[sp.Name] = true
		}
	}
	assert.True(t, names["initialize"], "the unsampled client's request is traced: %v", names)
	assert.True(t, names["_OTHER"], "methods MCP and HTTP do not define are _OTHER: %v", names)
	for n := range names {
		assert.NotContains(t, n, "x-aaa")
		assert.NotContains(t, n, "BREW")
	}
}

// TestFailuresMarkSpans: a failure (5xx) marks the span as an error with
// error.type; a refusal (4xx) does not.
func TestFailuresMarkSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel, err := New(&Options{MeterProvider: sdkmetric.NewMeterProvider(), TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	require.NoError(t, err)
	v := tel.Verifier(middleware.TokenVerifierFunc(func(_ context.Context, token string) (*authresult.Principal, error) {
		if token == "down" {
			return nil, authresult.Unavailable("keys unavailable", 0, errors.New("jwks 502"))
		}
		return nil, authresult.InvalidToken("invalid token", nil)
	}))
	_, _ = v.VerifyToken(context.Background(), "down")
	_, _ = v.VerifyToken(context.Background(), "bad")
	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "Error", spans[0].Status.Code.String())
	assert.Equal(t, "Unset", spans[1].Status.Code.String(), "a refused token is not a server error")
}

// TestPrometheusNames: through the OpenTelemetry Prometheus exporter the
// instruments have the names operators query.
func TestPrometheusNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	require.NoError(t, err)
	tel, err := New(&Options{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	tel.Hook()(r, decision.Decision{Layer: decision.LayerGuard, Outcome: decision.Refused, Reason: decision.ReasonOrigin, Status: 403})

	fetched := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jwks" {
			http.Error(w, "down", http.StatusBadGateway)
		}
	}))
	defer fetched.Close()
	c := tel.FetchClient(FetchJWKS, nil)
	for _, path := range []string{"/.well-known/openid-configuration", "/jwks", "/.well-known/jwks.json"} {
		resp, err := c.Get(fetched.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
	}
	store := tel.Store(mcphandler.NewMemoryStore(nil))
	_, err = store.Check(context.Background(), "x", mcphandler.Key{})
	require.NoError(t, err)

	n, err := testutil.GatherAndCount(reg, "mcpauth_decisions_total", "mcpauth_decision_duration_seconds", "mcpauth_fetches_total", "mcpauth_store_operations_total")
	require.NoError(t, err)
	assert.Equal(t, 6, n, "one decision series, one histogram, three fetch series, one store series")
	assert.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP mcpauth_fetches_total Requests to key servers, discovery documents and introspection endpoints, by kind and outcome.
# TYPE mcpauth_fetches_total counter
mcpauth_fetches_total{kind="discovery",otel_scope_name="github.com/mcpauth/mcpauth/telemetry",otel_scope_schema_url="",otel_scope_version="",outcome="ok"} 1
mcpauth_fetches_total{kind="jwks",otel_scope_name="github.com/mcpauth/mcpauth/telemetry",otel_scope_schema_url="",otel_scope_version="",outcome="failed"} 1
mcpauth_fetches_total{kind="jwks",otel_scope_name="github.com/mcpauth/mcpauth/telemetry",otel_scope_schema_url="",otel_scope_version="",outcome="ok"} 1
`), "mcpauth_fetches_total"))
}

// TestStoreReadyPassesThrough: wrapping a store keeps its readiness.
func TestStoreReadyPassesThrough(t *testing.T) {
	tel, err := New(nil)
	require.NoError(t, err)
	down := errors.New("redis: connection refused")
	s := tel.Store(readyStore{Store: mcphandler.NewMemoryStore(nil), err: down})
	assert.ErrorIs(t, s.(interface{ Ready(context.Context) error }).Ready(context.Background()), down)
	plain := tel.Store(mcphandler.NewMemoryStore(nil))
	assert.NoError(t, plain.(interface{ Ready(context.Context) error }).Ready(context.Background()))
}

type readyStore struct {
	mcphandler.Store
	err error
}

func (r readyStore) Ready(context.Context) error { return r.err }
