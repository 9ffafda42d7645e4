// Package health serves the liveness and readiness probes of an mcpauth
// deployment: /healthz answers while the process serves, /readyz only when
// everything a decision needs is there: keys loaded, the session store
// reachable. A probe that fails answers 503 with one word, the name of
// the first check that failed; the cause goes to the log, never to the
// prober.
//
//	h, err := health.Handler(&health.Options{Checks: []health.Check{
//		{Name: "keys", Ready: verifier.Ready},
//		{Name: "store", Ready: store.Ready},
//	}})
//	metrics.Handle("/", h) // on a listener of its own
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultTimeout bounds one readiness probe when Options.Timeout is zero:
// under the 1 s a Kubernetes probe waits by default, so that the probe
// hears the answer and the log the cause.
const DefaultTimeout = 900 * time.Millisecond

// Check is one condition of readiness.
type Check struct {
	// Name is the one word a failing probe answers: lower-case letters,
	// digits, '_' or '-', such as "keys" or "store". Names are unique.
	Name string
	// Ready returns nil when the condition holds. It must honour ctx's
	// deadline; a check still running at the deadline counts as failed.
	Ready func(ctx context.Context) error
}

// Options configures [Handler].
type Options struct {
	// Checks are the conditions of readiness, reported in this order.
	// None means ready while alive.
	Checks []Check
	// Timeout bounds one probe; default DefaultTimeout.
	Timeout time.Duration
	// Logger receives the cause when readiness changes: a Warn record
	// naming the check that failed and its error, an Info record when
	// ready again. Nil discards.
	Logger *slog.Logger
}

var errConfig = errors.New("health: invalid options")

// Handler returns the handler of GET and HEAD /healthz and /readyz; other
// paths get 404, other methods 405. It returns an error for a check
// without a name, with a name that is not one word, a repeated name, or
// no Ready function.
func Handler(o *Options) (http.Handler, error) {
	if o == nil {
		o = &Options{}
	}
	p := &probes{checks: append([]Check(nil), o.Checks...), timeout: o.Timeout, log: o.Logger}
	if p.timeout < 0 {
		return nil, fmt.Errorf("%w: negative Timeout", errConfig)
	}
	if p.timeout == 0 {
		p.timeout = DefaultTimeout
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	seen := map[string]bool{}
	for _, c := range p.checks {
		switch {
		case !oneWord(c.Name):
			return nil, fmt.Errorf("%w: check name %q is not one lower-case word", errConfig, c.Name)
		case seen[c.Name]:
			return nil, fmt.Errorf("%w: check %q named twice", errConfig, c.Name)
		case c.Ready == nil:
			return nil, fmt.Errorf("%w: check %q has no Ready function", errConfig, c.Name)
		}
		seen[c.Name] = true
	}
	return p, nil
}

// oneWord reports whether s is a non-empty word of [a-z0-9_-], at most
// 32 bytes long.
func oneWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

type probes struct {
	checks  []Check
	timeout time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	failed string // the check the previous probe failed on; "" when ready
	run    *run   // the probe in progress, which concurrent probes share
}

// run is one probe whose answer several requests may wait for.
type run struct {
	done chan struct{}
	name string
}

func (p *probes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/healthz" {
		answer(w, http.StatusOK, "ok")
		return
	}
	if name := p.shared(); name != "" {
		answer(w, http.StatusServiceUnavailable, name)
		return
	}
	answer(w, http.StatusOK, "ok")
}

func answer(w http.ResponseWriter, status int, word string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(word + "\n"))
}

// shared returns the answer of the probe in progress, or of a new one:
// however many requests probe at once, the checks run once at a time, so
// that a flood of probes is not a flood of PINGs to the store. The probe
// runs under its own timeout, not the request's, since others share it.
// (A check that ignores its context is abandoned at the timeout, still
// running, and called again by the next probe.)
func (p *probes) shared() string {
	p.mu.Lock()
	c := p.run
	if c == nil {
		c = &run{done: make(chan struct{})}
		p.run = c
		go func() {
			c.name = p.probe(context.Background())
			p.mu.Lock()
			p.run = nil
			p.mu.Unlock()
			close(c.done)
		}()
	}
	p.mu.Unlock()
	<-c.done
	return c.name
}

// probe runs every check at once under the timeout and returns the name
// of the first, in order, that failed, or "".
func (p *probes) probe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	errs := make([]error, len(p.checks))
	done := make(chan int, len(p.checks))
	for i, c := range p.checks {
		go func() {
			errs[i] = c.Ready(ctx)
			done <- i
		}()
	}
	finished := make([]bool, len(p.checks))
	for range p.checks {
		select {
		case i := <-done:
			finished[i] = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	name, cause := "", error(nil)
	for i, c := range p.checks {
		var err error
		switch {
		case !finished[i]:
			err = fmt.Errorf("health: check %s still running after %v: %w", c.Name, p.timeout, context.DeadlineExceeded)
		default:
			err = errs[i]
		}
		if err != nil {
			name, cause = c.Name, err
			break
		}
	}
	p.record(ctx, name, cause)
	return name
}

// record logs a change of readiness.
func (p *probes) record(ctx context.Context, name string, cause error) {
	p.mu.Lock()
	changed := p.failed != name
	p.failed = name
	p.mu.Unlock()
	switch {
	case !changed:
	case name == "":
		p.log.LogAttrs(ctx, slog.LevelInfo, "mcpauth: ready")
	default:
		p.log.LogAttrs(ctx, slog.LevelWarn, "mcpauth: not ready", slog.String("check", name), slog.Any("error", cause))
	}
}
