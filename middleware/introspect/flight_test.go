package introspect

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gate makes the fake endpoint answer only once n callers wait for the
// introspection, so that every one of them is known to have arrived
// while it was in flight.
type gate struct {
	n       int32
	waiting atomic.Int32
	all     chan struct{}
	once    sync.Once
}

func newGate(e *env, n int32) *gate {
	g := &gate{n: n, all: make(chan struct{})}
	e.v.joined = func() {
		if g.waiting.Add(1) == g.n {
			g.once.Do(func() { close(g.all) })
		}
	}
	return g
}

// hold has the endpoint wait for the gate, then answer an active token.
func (g *gate) hold(e *env) {
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-g.all:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, activeBody())
	})
}

// TestConcurrentFirstRequests: 100 callers with one token that is not
// cached make exactly one introspection request, and all get its answer.
func TestConcurrentFirstRequests(t *testing.T) {
	for _, cache := range []bool{true, false} {
		t.Run(map[bool]string{true: "cache", false: "no cache"}[cache], func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Cache.Disabled = !cache })
			const n = 100
			g := newGate(e, n)
			g.hold(e)
			tok := e.token()
			var wg sync.WaitGroup
			var ok atomic.Int32
			for range n {
				wg.Go(func() {
					p, err := e.verify(tok)
					if assert.NoError(t, err) && assert.Equal(t, "alice", p.Subject) {
						ok.Add(1)
					}
				})
			}
			wg.Wait()
			assert.EqualValues(t, n, ok.Load())
			assert.EqualValues(t, 1, e.as.calls.Load(), "exactly one introspection")
		})
	}
}

// TestConcurrentFailureShared: the callers of one flight share its
// failure too, and the next caller asks again.
func TestConcurrentFailureShared(t *testing.T) {
	e := newEnv(t, nil)
	const n = 20
	g := newGate(e, n)
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		<-g.all
		w.WriteHeader(http.StatusBadGateway)
	})
	tok := e.token()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = e.verify(tok) })
	}
	wg.Wait()
	for _, err := range errs {
		requireKind(t, err, authresult.KindUnavailable, ErrUnavailable)
	}
	assert.EqualValues(t, 1, e.as.calls.Load())
	assert.NotSame(t, errs[0], errs[1], "each caller gets its own error to keep")
	assert.Same(t, errs[0].(*authresult.Error).Err, errs[1].(*authresult.Error).Err, "of the one outcome")
	e.v.joined = nil
	e.as.set(200, activeBody())
	_, err := e.verify(tok)
	require.NoError(t, err)
	assert.EqualValues(t, 2, e.as.calls.Load())
}

// TestCancelledFirstCallerDoesNotFailOthers: the caller that started the
// introspection goes away; the introspection goes on, the others get its
// answer, and it is cached.
func TestCancelledFirstCallerDoesNotFailOthers(t *testing.T) {
	e := newEnv(t, nil)
	const others = 10
	g := newGate(e, others+1)
	release := make(chan struct{})
	started := make(chan struct{})
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-release:
		case <-r.Context().Done():
			t.Error("the introspection was cancelled with its first caller")
			return
		}
		_, _ = io.WriteString(w, activeBody())
	})
	tok := e.token()

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := e.v.VerifyToken(ctx, tok)
		first <- err
	}()
	<-started // the first caller's request is at the endpoint

	var wg sync.WaitGroup
	var ok atomic.Int32
	for range others {
		wg.Go(func() {
			if _, err := e.verify(tok); assert.NoError(t, err) {
				ok.Add(1)
			}
		})
	}
	<-g.all // all eleven wait for the one flight
	cancel()
	err := <-first
	requireKind(t, err, authresult.KindUnavailable, context.Canceled)

	close(release)
	wg.Wait()
	assert.EqualValues(t, others, ok.Load())
	assert.EqualValues(t, 1, e.as.calls.Load())
	_, err = e.verify(tok)
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.as.calls.Load(), "the answer the first caller left behind was cached")
}

// TestDetachedFlightBoundedByTimeout: with every caller gone, the
// introspection still ends at Timeout.
func TestDetachedFlightBoundedByTimeout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Timeout = 50 * time.Millisecond })
	ended := make(chan struct{})
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		close(ended)
	})
	ctx, cancel := context.WithCancel(context.Background())
	g := newGate(e, 1)
	go func() { <-g.all; cancel() }()
	_, err := e.v.VerifyToken(ctx, e.token())
	requireKind(t, err, authresult.KindUnavailable, context.Canceled)
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the detached introspection did not end at Timeout")
	}
}

// TestFlightsPerToken: different tokens do not share a flight.
func TestFlightsPerToken(t *testing.T) {
	e := newEnv(t, nil)
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		sub := r.FormValue("token")
		_, _ = io.WriteString(w, activeBody(set("sub", sub)))
	})
	toks := []string{e.token(), e.token(), e.token()}
	var wg sync.WaitGroup
	for range 10 {
		for _, tok := range toks {
			wg.Go(func() {
				p, err := e.verify(tok)
				if assert.NoError(t, err) {
					assert.Equal(t, tok, p.Subject, "each token gets its own answer")
				}
			})
		}
	}
	wg.Wait()
	assert.EqualValues(t, 3, e.as.calls.Load())
}
