package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/middleware"
)

// Span start options made once: an option is an interface value, which
// would allocate per request.
var (
	serverSpan   = trace.WithSpanKind(trace.SpanKindServer)
	internalSpan = trace.WithSpanKind(trace.SpanKindInternal)
)

// Handler returns next wrapped in a server span per request: a new trace,
// linked to the client's trace context when it sent one, or its child
// with Options.TrustClientTrace. The layers' decisions,
// through [Telemetry.Hook], name the span and set its attributes and
// status; Handler itself does not wrap the response writer, so flushing,
// read deadlines and everything else of the writer reach next unchanged.
func (t *Telemetry) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		opts := []trace.SpanStartOption{serverSpan}
		if remote := trace.SpanContextFromContext(t.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))); remote.IsValid() {
			if t.trustTrace {
				ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
			} else {
				opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: remote}))
			}
		}
		ctx, span := t.tracer.Start(ctx, httpMethod(r.Method), opts...)
		defer span.End()
		if span.IsRecording() {
			span.SetAttributes(attribute.String("http.request.method", httpMethod(r.Method)), attribute.String("url.path", r.URL.Path))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// httpMethod is the span name of an HTTP method: itself when HTTP defines
// it, "_OTHER" otherwise, as the HTTP semantic conventions say, so that a
// client cannot name spans before it is authenticated.
func httpMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch,
		http.MethodHead, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// Transport returns base (http.DefaultTransport when nil) with a client
// span around each upstream request, its trace context injected into the
// request as traceparent; give it to mcpproxy.Options.Transport.
func (t *Telemetry) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(t.tp), otelhttp.WithMeterProvider(t.mp), otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "upstream " + r.Method }))
}

// Verifier returns v with a span ("mcpauth.verify") around each
// verification, whose attribute is its reason; never the token or its
// claims. (The principal's binding key is on the request's span.)
func (t *Telemetry) Verifier(v middleware.TokenVerifier) middleware.TokenVerifier {
	return middleware.TokenVerifierFunc(func(ctx context.Context, token string) (*authresult.Principal, error) {
		ctx, span := t.tracer.Start(ctx, "mcpauth.verify", internalSpan)
		defer span.End()
		p, err := v.VerifyToken(ctx, token)
		if span.IsRecording() {
			switch {
			case err != nil:
				e := authresult.As(err)
				reason := decision.ReasonOf(e)
				span.SetAttributes(keyReason.String(string(reason)))
				if decision.OutcomeOf(e.Status()) == decision.Failed {
					span.SetAttributes(keyErrorType.String(string(reason)))
					span.SetStatus(codes.Error, string(reason))
				}
			case p.Valid():
				span.SetAttributes(keyReason.String(string(decision.ReasonOK)))
			}
		}
		return p, err
	})
}
