package health

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ok(context.Context) error { return nil }

func failing(err error) func(context.Context) error {
	return func(context.Context) error { return err }
}

func hangs(ctx context.Context) error {
	<-ctx.Done()
	time.Sleep(10 * time.Millisecond) // answers late, after the deadline
	return nil
}

func TestProbes(t *testing.T) {
	secret := errors.New("dial tcp 10.0.0.7:6379: redis password=hunter2 refused")
	tests := []struct {
		name   string
		checks []Check
		method string
		path   string
		status int
		body   string
	}{
		{name: "alive", checks: []Check{{"store", failing(secret)}}, path: "/healthz", status: 200, body: "ok\n"},
		{name: "ready without checks", path: "/readyz", status: 200, body: "ok\n"},
		{name: "ready", checks: []Check{{"keys", ok}, {"store", ok}}, path: "/readyz", status: 200, body: "ok\n"},
		{name: "store down", checks: []Check{{"keys", ok}, {"store", failing(secret)}}, path: "/readyz", status: 503, body: "store\n"},
		{name: "first failure in order", checks: []Check{{"keys", failing(errors.New("no jwks"))}, {"store", failing(secret)}}, path: "/readyz", status: 503, body: "keys\n"},
		{name: "check past the deadline", checks: []Check{{"keys", ok}, {"slow", hangs}}, path: "/readyz", status: 503, body: "slow\n"},
		{name: "HEAD", checks: []Check{{"keys", ok}}, method: http.MethodHead, path: "/readyz", status: 200},
		{name: "POST", method: http.MethodPost, path: "/readyz", status: 405},
		{name: "other path", path: "/metrics", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, err := Handler(&Options{Checks: tt.checks, Timeout: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			require.NoError(t, err)
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, tt.path, nil))
			assert.Equal(t, tt.status, rec.Code)
			if tt.body != "" {
				assert.Equal(t, tt.body, rec.Body.String())
			}
			assert.NotContains(t, rec.Body.String(), "hunter2", "causes go to the log, not the prober")
			if tt.status == 503 {
				assert.Contains(t, logs.String(), "not ready")
			}
		})
	}
}

// TestReadinessChangesLogged: a change of readiness is logged once, with
// its cause; a steady state is not logged on every probe.
func TestReadinessChangesLogged(t *testing.T) {
	var down atomic.Bool
	var logs bytes.Buffer
	h, err := Handler(&Options{
		Checks: []Check{{"store", func(context.Context) error {
			if down.Load() {
				return errors.New("redis: connection refused")
			}
			return nil
		}}},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	probe := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	assert.Equal(t, 200, probe())
	assert.Empty(t, logs.String())
	down.Store(true)
	assert.Equal(t, 503, probe())
	assert.Equal(t, 503, probe())
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("not ready")))
	assert.Contains(t, logs.String(), "connection refused")
	down.Store(false)
	assert.Equal(t, 200, probe())
	assert.Contains(t, logs.String(), "msg=\"mcpauth: ready\"")
}

func TestHandlerValidation(t *testing.T) {
	for name, o := range map[string]*Options{
		"empty name":      {Checks: []Check{{"", ok}}},
		"two words":       {Checks: []Check{{"key server", ok}}},
		"upper case":      {Checks: []Check{{"Keys", ok}}},
		"newline":         {Checks: []Check{{"keys\nok", ok}}},
		"repeated":        {Checks: []Check{{"keys", ok}, {"keys", ok}}},
		"no function":     {Checks: []Check{{"keys", nil}}},
		"negative budget": {Timeout: -time.Second},
	} {
		_, err := Handler(o)
		assert.ErrorIs(t, err, errConfig, name)
	}
	_, err := Handler(nil)
	assert.NoError(t, err)
}

// TestProbesShared: concurrent probes share one run of the checks, so a
// flood of probes is not a flood of store round trips.
func TestProbesShared(t *testing.T) {
	var calls atomic.Int32
	h, err := Handler(&Options{Checks: []Check{{"store", func(ctx context.Context) error {
		calls.Add(1)
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}}}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			assert.Equal(t, 200, rec.Code)
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, calls.Load(), int32(20), "200 probes, %d runs", calls.Load())
	assert.Less(t, DefaultTimeout, time.Second, "under the kubelet's default probe timeout")
}
