// Package observe is the one home of the logging, audit and metrics setup
// that the examples and the gateway share: a logger at a level and format,
// the audit log at info, and Prometheus metrics through package telemetry.
package observe

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/telemetry"
)

// Logger returns a logger writing to w at level, as JSON when format is
// "json" and as text otherwise.
func Logger(w io.Writer, level slog.Level, format string) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// Metrics is the telemetry of a process that serves Prometheus metrics.
type Metrics struct {
	// Telemetry instruments the verifier, the store, the upstream
	// transport and the fetch clients, and its Hook counts decisions.
	Telemetry *telemetry.Telemetry
	// Registry holds the metrics, the Go runtime's and the process's
	// included, for promhttp.HandlerFor.
	Registry *prometheus.Registry
	// Close flushes and stops the providers.
	Close func() error
}

// NewMetrics sets up metrics exported to a fresh Prometheus registry.
//
// Nothing exports spans here, so none is made (the tracer is a no-op): a
// span recorded only to be thrown away costs allocations on every request,
// and a traceparent naming it would tell the upstream of a trace nobody
// keeps (sampled, it makes the upstream record its half; unsampled, it
// turns the upstream's parent-based sampling off). The upstream starts its
// own traces. An application that exports spans builds its own
// telemetry.Telemetry.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	tel, err := telemetry.New(&telemetry.Options{MeterProvider: mp, TracerProvider: noop.NewTracerProvider()})
	if err != nil {
		return nil, err
	}
	return &Metrics{Telemetry: tel, Registry: reg, Close: func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return mp.Shutdown(ctx)
	}}, nil
}

// Hooks is the decision hook of a process logging to log at level: the
// audit log when level is info or lower, and the metrics' counts when m is
// not nil; nil when neither.
func Hooks(log *slog.Logger, level slog.Level, m *Metrics) decision.Hook {
	var hooks []decision.Hook
	if level <= slog.LevelInfo {
		hooks = append(hooks, decision.AuditLog(log))
	}
	if m != nil {
		hooks = append(hooks, m.Telemetry.Hook())
	}
	return decision.Hooks(hooks...)
}
