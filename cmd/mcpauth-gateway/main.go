// Command mcpauth-gateway is an authorization gateway for MCP servers in
// any language: it verifies each request's OAuth access token, binds MCP
// sessions to the user who made them, applies a per-tool policy, and
// forwards to the upstream only what it checked, with the gateway's own
// upstream credentials, never the client's token.
//
//	mcpauth-gateway -config gateway.yaml
//	mcpauth-gateway -check gateway.yaml
//
// One configuration file (YAML or JSON) names the identity providers and
// the routes; see README.md beside this file. Flags and the environment
// (MCPAUTH_LISTEN, MCPAUTH_METRICS_LISTEN, MCPAUTH_LOG_LEVEL,
// MCPAUTH_LOG_FORMAT) override the file's listen addresses and log.
// SIGHUP, or a change of the file, reloads routes and policies
// atomically; SIGINT or SIGTERM shuts down gracefully.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcpauth/mcpauth/health"
)

// defaultShutdownTimeout is how long a shutdown waits for requests and
// streams when the file sets no shutdown_timeout.
const defaultShutdownTimeout = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the gateway's life; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mcpauth-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", os.Getenv("MCPAUTH_CONFIG"), "configuration file, YAML or JSON (env MCPAUTH_CONFIG)")
	check := fs.String("check", "", "validate this configuration file completely, then exit: 0 when it would start")
	var o overrides
	fs.StringVar(&o.Listen, "listen", os.Getenv("MCPAUTH_LISTEN"), "listen address, over the file's listen (env MCPAUTH_LISTEN)")
	fs.StringVar(&o.MetricsListen, "metrics-listen", os.Getenv("MCPAUTH_METRICS_LISTEN"), "address of /metrics, /healthz and /readyz, over the file's metrics.listen (env MCPAUTH_METRICS_LISTEN)")
	fs.StringVar(&o.LogLevel, "log-level", os.Getenv("MCPAUTH_LOG_LEVEL"), "debug, info (adds the audit log), warn or error, over the file's log.level (env MCPAUTH_LOG_LEVEL)")
	fs.StringVar(&o.LogFormat, "log-format", os.Getenv("MCPAUTH_LOG_FORMAT"), "text or json, over the file's log.format (env MCPAUTH_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mcpauth-gateway: unexpected argument %q; the configuration file goes in -config\n", fs.Arg(0))
		return 2
	}
	if *check != "" {
		if err := checkConfig(*check, o); err != nil {
			fmt.Fprintln(stderr, "mcpauth-gateway:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n", *check)
		return 0
	}
	if *file == "" {
		fmt.Fprintln(stderr, "mcpauth-gateway: -config (env MCPAUTH_CONFIG) is required; -check FILE validates one")
		return 2
	}
	if err := serve(*file, o, stdout); err != nil {
		fmt.Fprintln(stderr, "mcpauth-gateway:", err)
		return 1
	}
	return 0
}

// checkConfig validates file as a start would, building every route (so
// that each library's own checks run too), without serving or waiting for
// the network.
func checkConfig(file string, o overrides) error {
	b, err := readConfig(file)
	if err != nil {
		return err
	}
	c, err := ParseConfig(file, b, o)
	if err != nil {
		return err
	}
	c.Metrics = nil       // no exporter for a check
	c.Log.Level = "error" // and no warnings of key fetches it cancels
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	defer rt.Close()
	r, err := buildRoutes(c, rt)
	if err != nil {
		return err
	}
	r.Close()
	return nil
}

// serve runs the gateway until SIGINT or SIGTERM.
func serve(file string, o overrides, stdout io.Writer) error {
	b, err := readConfig(file)
	if err != nil {
		return err
	}
	c, err := ParseConfig(file, b, o)
	if err != nil {
		return err
	}
	rt, err := newRuntime(c)
	if err != nil {
		return err
	}
	defer rt.Close()
	g := &gateway{file: file, overrides: o, rt: rt}
	// The first load waits for keys too, but a provider that is down at
	// start must not keep the gateway down: it serves 503 until the keys
	// load, and says so on /readyz.
	first, err := buildRoutes(c, rt)
	if err != nil {
		return err
	}
	g.cur.Store(first)
	g.config, g.sum = c, sha256Sum(b)
	defer func() { g.cur.Load().Close() }()

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("%s: listen: %w", file, err)
	}
	srv := &http.Server{
		Handler: g, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(rt.log.Handler(), slog.LevelError),
	}
	scheme := "http"
	if c.TLS != nil {
		cert, err := newCertificate(c.TLS.CertFile, c.TLS.KeyFile, rt.log)
		if err != nil {
			return fmt.Errorf("%s: tls: %w", file, err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cert.GetCertificate, NextProtos: []string{"h2", "http/1.1"}}
		scheme = "https"
	}
	var metricsSrv *http.Server
	if c.Metrics != nil {
		metricsSrv, err = serveMetrics(c.Metrics.Listen, g, rt, stdout)
		if err != nil {
			return err
		}
		defer metricsSrv.Close()
	}
	fmt.Fprintf(stdout, "mcpauth-gateway: listening on %s://%s\n", scheme, ln.Addr())
	for _, r := range c.Routes {
		fmt.Fprintf(stdout, "  route %s%s -> %s\n", c.PublicURL, r.Path, redactedURL(r.Upstream))
	}

	stop := make(chan struct{})
	sighup := make(chan os.Signal, 1)
	signal.Notify(sighup, syscall.SIGHUP)
	defer signal.Stop(sighup)
	go g.watch(sighup, time.Second, stop)
	defer close(stop)

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			done <- srv.ServeTLS(ln, "", "")
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	timeout := time.Duration(c.ShutdownTimeout)
	if timeout == 0 {
		timeout = defaultShutdownTimeout
	}
	rt.log.Warn("mcpauth-gateway: shutting down; waiting for requests and streams", slog.Duration("timeout", timeout))
	sctx, scancel := context.WithTimeout(context.Background(), timeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		rt.log.Warn("mcpauth-gateway: streams still open at the shutdown timeout were cut", slog.Any("error", err))
		_ = srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveMetrics serves Prometheus metrics and the probes on addr.
func serveMetrics(addr string, g *gateway, rt *runtime, stdout io.Writer) (*http.Server, error) {
	probes, err := health.Handler(&health.Options{Checks: g.checks(), Logger: rt.log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(rt.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(rt.log.Handler(), slog.LevelError)}))
	mux.Handle("/healthz", probes)
	mux.Handle("/readyz", probes)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stdout, "mcpauth-gateway: metrics on http://%s/metrics (and /healthz, /readyz)\n", ln.Addr())
	return srv, nil
}
