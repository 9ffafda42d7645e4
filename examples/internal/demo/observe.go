package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcpauth/mcpauth/health"
	"github.com/mcpauth/mcpauth/internal/observe"
	"github.com/mcpauth/mcpauth/internal/settings"
)

// metrics is what -metrics-addr serves: Prometheus metrics and the
// health probes.
type metrics struct {
	registry *prometheus.Registry
	checks   []health.Check
	ln       net.Listener
}

// observe sets up the stack's log, its hook and, with -metrics-addr, its
// telemetry: the audit log at info, metrics and spans.
func (s *Stack) observe(c *Config) error {
	level, _ := settings.ParseLevel(c.LogLevel) // validated
	s.Logger = observe.Logger(os.Stderr, level, c.LogFormat)
	var m *observe.Metrics
	if c.MetricsAddr != "" {
		var err error
		if m, err = observe.NewMetrics(); err != nil {
			return fmt.Errorf("%s: %w", c.Source("metrics-addr"), err)
		}
		s.Telemetry, s.metrics = m.Telemetry, &metrics{registry: m.Registry}
		s.closers = append(s.closers, m.Close)
	}
	s.OnDecision = observe.Hooks(s.Logger, level, m)
	return nil
}

// fetchClient is the HTTP client of key set or introspection fetches:
// counted with -metrics-addr, the library's own otherwise.
func (s *Stack) fetchClient(kind string) *http.Client {
	if s.Telemetry == nil {
		return nil
	}
	return s.Telemetry.FetchClient(kind, nil)
}

// ready adds a readiness check to /readyz.
func (s *Stack) ready(name string, fn func(context.Context) error) {
	if s.metrics != nil {
		s.metrics.checks = append(s.metrics.checks, health.Check{Name: name, Ready: fn})
	}
}

// serveMetrics listens on addr and serves /metrics, /healthz and /readyz
// there until the stack is closed. Nothing happens without addr.
func (s *Stack) serveMetrics(addr string) error {
	if s.metrics == nil {
		return nil
	}
	probes, err := health.Handler(&health.Options{Checks: s.metrics.checks, Logger: s.Logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("-metrics-addr: %w", err)
	}
	s.metrics.ln = ln
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.Logger.Handler(), slog.LevelError)}))
	mux.Handle("/healthz", probes)
	mux.Handle("/readyz", probes)
	srv := newServer(mux, s.Logger)
	go func() { _ = srv.Serve(ln) }()
	s.closers = append([]func() error{srv.Close}, s.closers...)
	return nil
}

// newServer is the HTTP server of an example's listeners.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelError)
	}
	return srv
}
