// Package telemetry turns mcpauth's decisions into OpenTelemetry metrics
// and spans. It is the one package of mcpauth that depends on
// go.opentelemetry.io/otel; the layers themselves only report
// [decision.Decision] values, so an application that does not import this
// package pays nothing for it.
//
//	tel, err := telemetry.New(&telemetry.Options{MeterProvider: mp, TracerProvider: tp})
//	hook := tel.Hook()
//	auth, _ := middleware.New(tel.Verifier(verifier), &middleware.Options{OnDecision: hook})
//	guard, _ := mcphandler.New(proxy, &mcphandler.Options{OnDecision: hook})
//	proxy, _ := mcpproxy.New(upstream, &mcpproxy.Options{OnDecision: hook, Transport: tel.Transport(nil)})
//	mux.Handle("/mcp", tel.Handler(auth.Handler(guard)))
//
// Metrics (Prometheus names in parentheses, through the OpenTelemetry
// Prometheus exporter):
//   - mcpauth.decisions (mcpauth_decisions_total): a counter of decisions
//     by layer, outcome and reason;
//   - mcpauth.decision.duration (mcpauth_decision_duration_seconds): a
//     histogram of decision latency by layer and outcome;
//   - mcpauth.fetches (mcpauth_fetches_total): requests to key servers,
//     discovery documents and introspection endpoints by kind and
//     outcome, from [Telemetry.FetchClient];
//   - mcpauth.store.operations (mcpauth_store_operations_total): session
//     store calls by operation and outcome, from [Telemetry.Store].
//
// Spans: [Telemetry.Handler] starts a server span per request, a new
// trace linked to the client's W3C trace context (its child with
// Options.TrustClientTrace); the decisions of every layer are events on
// it, and it takes the MCP semantic conventions' name (the method, or
// "_OTHER" for one MCP does not define) and attributes (mcp.method.name,
// gen_ai.tool.name, gen_ai.prompt.name, mcp.resource.uri, mcp.session.id
// — the session hashed, never the id).
// [Telemetry.Verifier] adds a span around token verification and
// [Telemetry.Transport] a client span around the upstream call, which
// carries the trace on to the upstream in traceparent.
package telemetry

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of mcpauth's meters and tracers.
const ScopeName = "github.com/mcpauth/mcpauth/telemetry"

// Options configures [New]. A nil *Options, and every nil field, means the
// global providers of package otel.
type Options struct {
	// MeterProvider makes the instruments. Default otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// TracerProvider makes the spans. Default otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Propagator reads the client's trace context and writes the
	// upstream's. Default: W3C Trace Context alone (traceparent,
	// tracestate); baggage, which the client chose, is not passed on
	// unless a propagator that carries it is given.
	Propagator propagation.TextMapPropagator
	// TrustClientTrace makes a request's span a child of the trace
	// context the client sent, sampling decision included. Off by
	// default: every request starts a trace of its own, linked to the
	// client's, so that a client can neither keep its requests out of
	// the traces (sampled flag 0) nor force its requests into them. Set
	// it when the clients are your own services.
	TrustClientTrace bool
}

// Telemetry makes the hooks, handlers and wrappers of one configuration.
// It is safe for concurrent use.
type Telemetry struct {
	meter      metric.Meter
	tracer     trace.Tracer
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
	trustTrace bool

	decisions metric.Int64Counter
	duration  metric.Float64Histogram
	fetches   metric.Int64Counter
	storeOps  metric.Int64Counter

	sets attrCache
}

// durationBuckets suit decisions: microseconds for a cached token, up to
// seconds for a key server or an upstream under load.
var durationBuckets = []float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// New returns a Telemetry that records to the providers of o. It returns
// an error if an instrument cannot be made.
func New(o *Options) (*Telemetry, error) {
	if o == nil {
		o = &Options{}
	}
	t := &Telemetry{mp: o.MeterProvider, tp: o.TracerProvider, propagator: o.Propagator, trustTrace: o.TrustClientTrace}
	if t.mp == nil {
		t.mp = otel.GetMeterProvider()
	}
	if t.tp == nil {
		t.tp = otel.GetTracerProvider()
	}
	if t.propagator == nil {
		t.propagator = propagation.TraceContext{}
	}
	t.meter = t.mp.Meter(ScopeName)
	t.tracer = t.tp.Tracer(ScopeName)
	var errs []error
	var err error
	t.decisions, err = t.meter.Int64Counter("mcpauth.decisions",
		metric.WithDescription("Decisions of mcpauth's layers, by layer, outcome and reason."), metric.WithUnit("{decision}"))
	errs = append(errs, err)
	t.duration, err = t.meter.Float64Histogram("mcpauth.decision.duration",
		metric.WithDescription("How long mcpauth's layers took to decide, by layer and outcome."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	errs = append(errs, err)
	t.fetches, err = t.meter.Int64Counter("mcpauth.fetches",
		metric.WithDescription("Requests to key servers, discovery documents and introspection endpoints, by kind and outcome."), metric.WithUnit("{request}"))
	errs = append(errs, err)
	t.storeOps, err = t.meter.Int64Counter("mcpauth.store.operations",
		metric.WithDescription("Session store operations, by operation and outcome."), metric.WithUnit("{operation}"))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return t, nil
}
