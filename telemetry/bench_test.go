package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/middleware"
)

// benchCall is a 1 KiB tools/call, the request of mcphandler's
// BenchmarkGuard.
var benchCall = func() []byte {
	head := `{"jsonrpc":"2.0","id":"c0ffee-42","method":"tools/call","params":{"name":"search","arguments":{"query":"`
	tail := `","limit":10}}}`
	return []byte(head + strings.Repeat("lorem ipsum ", (1024-len(head)-len(tail))/12) + tail)
}()

type readerCloser struct{ *bytes.Reader }

func (readerCloser) Close() error { return nil }

// BenchmarkDecisions is one authenticated tools/call in a session through
// the authentication middleware and the guard, in front of a handler that
// reads the body: with no hook; with the OpenTelemetry hook, server span
// and verification span, every request sampled ("otel") or none (the
// metrics alone, "otel-unsampled"), recorded by the SDK and exported
// nowhere; and with the audit log at info into a JSON handler. The differences to "none" are what observability
// costs per request.
func BenchmarkDecisions(b *testing.B) {
	principal := &authresult.Principal{Subject: "alice", Issuer: "https://idp", Scopes: []string{"tools:call"}}
	verifier := middleware.TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { return principal, nil })
	sink := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	newTel := func(sampler sdktrace.Sampler) *Telemetry {
		tel, err := New(&Options{
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler)),
		})
		if err != nil {
			b.Fatal(err)
		}
		return tel
	}
	sampled, unsampled := newTel(sdktrace.AlwaysSample()), newTel(sdktrace.NeverSample())
	audit := decision.AuditLog(slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	for _, bc := range []struct {
		name string
		hook decision.Hook
		tel  *Telemetry
	}{
		{"none", nil, nil},
		{"otel", sampled.Hook(), sampled},
		{"otel-unsampled", unsampled.Hook(), unsampled},
		{"audit", audit, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			guard, err := mcphandler.New(sink, &mcphandler.Options{Store: boundStore{}, OnDecision: bc.hook, Policy: &mcphandler.Policy{
				Methods: map[string][]string{"tools/call": {"tools:call"}},
				Tools:   map[string][]string{"search": nil},
			}})
			if err != nil {
				b.Fatal(err)
			}
			v := middleware.TokenVerifier(verifier)
			if bc.tel != nil {
				v = bc.tel.Verifier(v)
			}
			auth, err := middleware.New(v, &middleware.Options{OnDecision: bc.hook})
			if err != nil {
				b.Fatal(err)
			}
			h := auth.Handler(guard)
			if bc.tel != nil {
				h = bc.tel.Handler(h)
			}
			r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer t0ken")
			r.Header.Set("Mcp-Session-Id", "s1")
			body := bytes.NewReader(benchCall)
			w := httptest.NewRecorder()
			for b.Loop() {
				body.Reset(benchCall)
				r.Body, r.ContentLength = readerCloser{body}, int64(len(benchCall))
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

// boundStore says every session is bound, so that the benchmark measures
// the layers rather than a store.
type boundStore struct{}

func (boundStore) Bind(context.Context, string, mcphandler.Key) ([]mcphandler.Binding, error) {
	return nil, nil
}
func (boundStore) Check(context.Context, string, mcphandler.Key) (bool, error) { return true, nil }
func (boundStore) Delete(context.Context, string) error                        { return nil }
