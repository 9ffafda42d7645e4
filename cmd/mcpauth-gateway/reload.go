package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpauth/mcpauth/health"
)

// readyTimeout bounds how long a new configuration may take to load its
// keys before it is refused.
const readyTimeout = 15 * time.Second

// closeDelay is how long a replaced configuration's verifiers keep running
// for requests that started under it.
const closeDelay = time.Minute

// gateway serves the current routes and replaces them atomically: each
// request runs entirely on the routes it started with.
type gateway struct {
	file      string
	overrides overrides
	rt        *runtime
	cur       atomic.Pointer[routes]

	mu     sync.Mutex // one reload at a time
	config *Config
	sum    [sha256.Size]byte // of the file loaded
}

// ServeHTTP runs r on the current routes.
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.cur.Load().handler.ServeHTTP(w, r)
}

// checks are the readiness checks: the keys of every current route, and
// the runtime's store.
func (g *gateway) checks() []health.Check {
	keys := health.Check{Name: "keys", Ready: func(ctx context.Context) error {
		for _, c := range g.cur.Load().checks {
			if err := c.Ready(ctx); err != nil {
				return err
			}
		}
		return nil
	}}
	return append([]health.Check{keys}, g.rt.checks...)
}

// errRestart is the cause of a reload refused because a setting that only
// a restart applies changed.
var errRestart = errors.New("changed; restart the gateway to apply it (the running configuration stays)")

// reload reads the file again and, if it changed, validates it, builds
// its routes, waits for their keys, and swaps them in. On any error the
// running routes stay, and the error says why.
//
// sum is the digest of the content tried, so that a refused file is not
// tried again until it changes.
func (g *gateway) reload(force bool) (sum [sha256.Size]byte, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := readConfig(g.file)
	if err != nil {
		return sum, err
	}
	sum = sha256.Sum256(b)
	if sum == g.sum && !force {
		return sum, nil
	}
	return sum, g.load(b, sum)
}

// load is reload of the content b; g.mu is held.
func (g *gateway) load(b []byte, sum [sha256.Size]byte) error {
	c, err := ParseConfig(g.file, b, g.overrides)
	if err != nil {
		return err
	}
	if field := restartField(g.config, c); field != "" {
		return c.errAt(errRestart.Error(), field)
	}
	next, err := buildRoutes(c, g.rt)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for _, ch := range next.checks {
		if err := waitReady(ctx, ch); err != nil {
			next.discard()
			return fmt.Errorf("%s: the new routes' keys did not load within %v (the running configuration stays): %w", g.file, readyTimeout, err)
		}
	}
	old := g.cur.Swap(next)
	g.rt.adopt(next, closeDelay)
	g.config, g.sum = c, sum
	if old != nil {
		time.AfterFunc(closeDelay, old.Close)
	}
	g.rt.log.Warn("mcpauth-gateway: configuration loaded", slog.String("file", g.file), slog.Int("routes", len(c.Routes)))
	return nil
}

// waitReady polls ch until it holds or ctx ends.
func waitReady(ctx context.Context, ch health.Check) error {
	for {
		err := ch.Ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// restartField names the first setting of next that differs from cur and
// only a restart applies; "" when none does.
func restartField(cur, next *Config) string {
	if cur == nil {
		return ""
	}
	switch {
	case cur.Listen != next.Listen:
		return "listen"
	case !samePtr(cur.TLS, next.TLS):
		return "tls"
	case !samePtr(cur.Metrics, next.Metrics):
		return "metrics"
	case cur.Log != next.Log:
		return "log"
	case cur.Store != next.Store:
		return "store"
	case cur.PublicURL != next.PublicURL:
		return "public_url"
	case cur.ShutdownTimeout != next.ShutdownTimeout:
		return "shutdown_timeout"
	}
	return ""
}

// watch reloads on every signal from sighup and whenever the file's
// content differs from the running configuration's and stayed the same
// over two checks (every interval), until stop is closed. A refused file
// is reported once, not at every check.
func (g *gateway) watch(sighup <-chan os.Signal, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var refused, settling [sha256.Size]byte
	for {
		force := false
		select {
		case <-stop:
			return
		case <-sighup:
			force = true
		case <-t.C:
			b, err := readConfig(g.file)
			if err != nil {
				continue
			}
			sum := sha256.Sum256(b)
			g.mu.Lock()
			same := sum == g.sum
			g.mu.Unlock()
			if same || sum == refused {
				continue
			}
			if sum != settling {
				// Seen once: wait for the next check to see it unchanged,
				// so that a file still being written (which may parse,
				// cut short) is never loaded.
				settling = sum
				continue
			}
		}
		if sum, err := g.reload(force); err != nil {
			g.rt.log.Error("mcpauth-gateway: configuration refused; the running one stays", slog.Any("error", err))
			refused = sum
		}
	}
}

// samePtr reports whether a and b are both nil or point to equal values.
func samePtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
