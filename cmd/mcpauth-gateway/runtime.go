package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/health"
	"github.com/mcpauth/mcpauth/internal/observe"
	"github.com/mcpauth/mcpauth/internal/settings"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/redisstore"
	"github.com/mcpauth/mcpauth/mcpproxy"
	"github.com/mcpauth/mcpauth/telemetry"
)

// runtime is what outlives a reload: the log, the decision hook and its
// metrics, the session store (so that sessions survive a reload), and the
// pool of upstream connections.
type runtime struct {
	log        *slog.Logger
	onDecision decision.Hook
	tel        *telemetry.Telemetry
	registry   *prometheus.Registry
	redis      *redis.Client
	sessions   mcphandler.Store
	transport  *http.Transport
	checks     []health.Check // of the runtime itself (the store)
	closers    []func() error
	bridges    bridges // of the command routes, across reloads

	limitMu  sync.Mutex
	limiters map[string]*mcphandler.MemoryLimiter // by route and rate, across reloads
}

// newRuntime builds the runtime of c. Only settings that need a restart
// are read.
func newRuntime(c *Config) (*runtime, error) {
	rt := &runtime{transport: mcpproxy.NewTransport()}
	level, _ := settings.ParseLevel(c.Log.Level) // validated
	rt.log = observe.Logger(os.Stderr, level, c.Log.Format)
	var m *observe.Metrics
	if c.Metrics != nil {
		var err error
		if m, err = observe.NewMetrics(); err != nil {
			return nil, err
		}
		rt.tel, rt.registry = m.Telemetry, m.Registry
		rt.closers = append(rt.closers, m.Close)
	}
	rt.onDecision = observe.Hooks(rt.log, level, m)
	if c.Store == "" {
		rt.sessions = mcphandler.NewMemoryStore(nil)
		return rt, nil
	}
	opts, _ := redis.ParseURL(c.Store) // validated
	rt.redis = redis.NewClient(opts)
	rt.closers = append(rt.closers, rt.redis.Close)
	store, err := redisstore.New(&redisstore.Options{Client: rt.redis})
	if err != nil {
		rt.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	rt.sessions = store
	rt.checks = append(rt.checks, health.Check{Name: "store", Ready: store.Ready})
	if rt.tel != nil {
		rt.sessions = rt.tel.Store(store)
	}
	return rt, nil
}

// store is the session store of the route at path: one for all routes,
// whose binding keys name the route.
func (rt *runtime) store(string) mcphandler.Store { return rt.sessions }

// fetchClient is the HTTP client of a fetch of kind: nil (each package's
// default) without telemetry, else one that counts it, with a timeout and
// no redirects.
func (rt *runtime) fetchClient(kind string) *http.Client {
	if rt.tel == nil {
		return nil
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if kind == telemetry.FetchToken {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return rt.tel.FetchClient(kind, c)
}

// Close ends the runtime's connections and exporters.
func (rt *runtime) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt.closeBridges(ctx)
	for _, c := range rt.closers {
		_ = c()
	}
	rt.transport.CloseIdleConnections()
}

// memoryLimiter returns the in-memory limiter of the route at path for
// rate, the same across reloads while both stay: a reload must not give
// every user a fresh budget.
func (rt *runtime) memoryLimiter(path string, rate float64) (*mcphandler.MemoryLimiter, error) {
	rt.limitMu.Lock()
	defer rt.limitMu.Unlock()
	key := fmt.Sprintf("%s\x00%g", path, rate)
	if l := rt.limiters[key]; l != nil {
		return l, nil
	}
	l, err := mcphandler.NewMemoryLimiter(&mcphandler.MemoryLimiterOptions{Rate: rate})
	if err != nil {
		return nil, err
	}
	if rt.limiters == nil {
		rt.limiters = map[string]*mcphandler.MemoryLimiter{}
	}
	rt.limiters[key] = l
	return l, nil
}
