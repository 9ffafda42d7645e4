package mcphandler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
)

// decisions collects what a guard reports.
type decisions struct {
	mu  sync.Mutex
	all []decision.Decision
}

func (c *decisions) hook(_ *http.Request, d decision.Decision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, d)
}

// last returns the only decision reported since the previous call.
func (c *decisions) last(t *testing.T) decision.Decision {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.all, 1, "one decision per request")
	d := c.all[0]
	c.all = nil
	return d
}

// TestDecisionOfAdmitted: an admitted request is reported once its
// response is done, with who, what, the session (hashed) and the status
// the client got.
func TestDecisionOfAdmitted(t *testing.T) {
	var got decisions
	pol := &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}, AllowUndeclaredTools: true}
	h := newGuard(t, &upstream{}, &Options{Policy: pol, OnDecision: got.hook})

	sid := initSession(t, h, alice)
	d := got.last(t)
	assert.Equal(t, decision.LayerGuard, d.Layer)
	assert.Equal(t, decision.Allowed, d.Outcome)
	assert.Equal(t, decision.ReasonOK, d.Reason)
	assert.Equal(t, "initialize", d.Method)
	assert.Equal(t, decision.HashSession(sid), d.Session, "the session the response created")
	assert.Equal(t, alice.BindingKey(), d.Principal)
	assert.Equal(t, "alice", d.Subject)
	assert.Equal(t, 200, d.Status)
	assert.Positive(t, d.Latency)
	assert.Nil(t, d.Err)

	rec := do(t, h, req{body: callEcho, p: alice, headers: map[string]string{headerSession: sid}})
	require.Equal(t, 200, rec.Code)
	d = got.last(t)
	assert.Equal(t, "tools/call", d.Method)
	assert.Equal(t, "echo", d.Tool)
	assert.Equal(t, decision.HashSession(sid), d.Session)
	assert.NotEqual(t, sid, d.Session)

	do(t, h, req{body: listBody, p: alice, headers: map[string]string{headerSession: sid}})
	d = got.last(t)
	assert.Equal(t, decision.ReasonFiltered, d.Reason, "tools/list lost admin_reset")
	assert.Equal(t, decision.Allowed, d.Outcome)

	bobs := initSession(t, h, bob)
	got.last(t)
	do(t, h, req{body: listBody, p: bob, headers: map[string]string{headerSession: bobs}})
	assert.Equal(t, decision.ReasonOK, got.last(t).Reason, "an admin's list loses nothing")
}

// TestDecisionOfServeRefusals: refusals decided while serving (the
// factory, the binding, the filter) are reported like those of checks.
func TestDecisionOfServeRefusals(t *testing.T) {
	pol := &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}}
	tests := []struct {
		name   string
		h      func(hook decision.Hook) (*Handler, error)
		body   string
		status int
		reason decision.Reason
	}{
		{"factory refuses", func(hook decision.Hook) (*Handler, error) {
			return NewFactory(func(*http.Request, *authresult.Principal) (http.Handler, error) {
				return nil, authresult.InsufficientScope("tenant", "tenant:x")
			}, &Options{OnDecision: hook})
		}, initBody, 403, decision.ReasonInsufficientScope},
		{"factory fails", func(hook decision.Hook) (*Handler, error) {
			return NewFactory(func(*http.Request, *authresult.Principal) (http.Handler, error) {
				return nil, errors.New("Invalid JWT Token")
			}, &Options{OnDecision: hook})
		}, initBody, 500, decision.ReasonInternal},
		{"factory panics", func(hook decision.Hook) (*Handler, error) {
			return NewFactory(func(*http.Request, *authresult.Principal) (http.Handler, error) { panic("db down") }, &Options{OnDecision: hook})
		}, initBody, 500, decision.ReasonPanic},
		{"binding fails", func(hook decision.Hook) (*Handler, error) {
			return New(&upstream{}, &Options{Store: failingStore{errors.New("redis: down")}, OnDecision: hook})
		}, initBody, 503, decision.ReasonUnavailable},
		{"list cannot be filtered", func(hook decision.Hook) (*Handler, error) {
			return New(encodingUpstream{}, &Options{Policy: pol, OnDecision: hook})
		}, listBody, 500, decision.ReasonInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got decisions
			h, err := tt.h(got.hook)
			require.NoError(t, err)
			rec := do(t, h, req{body: tt.body, p: alice})
			require.Equal(t, tt.status, rec.Code)
			d := got.last(t)
			assert.Equal(t, decision.LayerGuard, d.Layer)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.status, d.Status)
			assert.Equal(t, decision.OutcomeOf(tt.status), d.Outcome)
			assert.Error(t, d.Err)
			assert.Empty(t, d.Session, "a session that could not be bound is not reported as the request's")
			if tt.reason == decision.ReasonInsufficientScope {
				assert.Equal(t, []string{"tenant:x"}, d.Scopes)
			}
		})
	}
}

// TestDecisionOfRefusedSession: a foreign session is reported hashed, so
// that an attempt on someone's session shows in the audit log without the
// id that would let a reader of the log use it.
func TestDecisionOfRefusedSession(t *testing.T) {
	var got decisions
	h := newGuard(t, &upstream{}, &Options{OnDecision: got.hook})
	sid := initSession(t, h, alice)
	got.last(t)
	rec := do(t, h, req{body: callEcho, p: bob, headers: map[string]string{headerSession: sid}})
	require.Equal(t, 404, rec.Code)
	d := got.last(t)
	assert.Equal(t, decision.ReasonSessionNotFound, d.Reason)
	assert.Equal(t, decision.HashSession(sid), d.Session)
	assert.Equal(t, "bob", d.Subject)
	assert.Equal(t, "echo", d.Tool)
}

// panicking answers with status, then panics with rec.
type panicking struct {
	status int
	rec    any
}

func (p panicking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.status != 0 {
		w.WriteHeader(p.status)
	}
	panic(p.rec)
}

// TestDecisionOfPanickingServer: a server that panics, or aborts its
// response (http.ErrAbortHandler, as the reverse proxy does when a stream
// is cut), still leaves the guard's record, the tool it ran named; the
// panic goes on to net/http.
func TestDecisionOfPanickingServer(t *testing.T) {
	for _, tt := range []struct {
		name    string
		server  panicking
		outcome decision.Outcome
		reason  decision.Reason
	}{
		{"panic", panicking{0, "db password=hunter2"}, decision.Failed, decision.ReasonPanic},
		{"aborted stream", panicking{200, http.ErrAbortHandler}, decision.Allowed, decision.ReasonAborted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got decisions
			h := newGuard(t, tt.server, &Options{OnDecision: got.hook})
			assert.PanicsWithValue(t, tt.server.rec, func() { do(t, h, req{body: callEcho, p: alice}) })
			d := got.last(t)
			assert.Equal(t, tt.outcome, d.Outcome)
			assert.Equal(t, tt.reason, d.Reason)
			assert.Equal(t, tt.server.status, d.Status)
			assert.Equal(t, "echo", d.Tool)
			assert.NotContains(t, d.Err.Error(), "hunter2", "the panic value is not reported")
		})
	}
}

// TestDecisionOfClientGone: a client that went away before any answer is
// reported as aborted with status 0, not as served.
func TestDecisionOfClientGone(t *testing.T) {
	var got decisions
	ctx, cancel := context.WithCancel(context.Background())
	h := newGuard(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { cancel() }), &Options{OnDecision: got.hook})
	r := post(alice, callEcho)().WithContext(authresult.NewContext(ctx, alice))
	h.ServeHTTP(httptest.NewRecorder(), r)
	d := got.last(t)
	assert.Equal(t, decision.ReasonAborted, d.Reason)
	assert.Equal(t, decision.Allowed, d.Outcome)
	assert.Zero(t, d.Status)
}

// TestDecisionOfBatch: every call of a batch is in the decision, so that
// a tool call behind a ping shows in the audit log.
func TestDecisionOfBatch(t *testing.T) {
	var got decisions
	h := newGuard(t, &upstream{}, &Options{OnDecision: got.hook})
	batch := `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset"}}]`
	do(t, h, req{body: batch, p: alice, headers: map[string]string{headerVersion: "2025-03-26"}})
	d := got.last(t)
	assert.Equal(t, "ping", d.Method)
	assert.Equal(t, []decision.Call{{Method: "ping"}, {Method: "tools/call", Tool: "admin_reset"}}, d.Calls)
}

// TestDecisionOfGoexit: a handler that ends its goroutine
// (runtime.Goexit, as t.FailNow does) is reported as aborted and not
// turned into a panic; a hook that panics while reporting a server's
// panic does not replace it.
func TestDecisionOfGoexit(t *testing.T) {
	var got decisions
	h := newGuard(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { runtime.Goexit() }), &Options{OnDecision: got.hook})
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		do(t, h, req{body: callEcho, p: alice})
	}()
	assert.Nil(t, <-done, "Goexit goes on, no panic")
	assert.Equal(t, decision.ReasonAborted, got.last(t).Reason)

	h = newGuard(t, panicking{0, "server"}, &Options{OnDecision: func(*http.Request, decision.Decision) { panic("hook") }})
	assert.PanicsWithValue(t, "server", func() { do(t, h, req{body: callEcho, p: alice}) })
}
