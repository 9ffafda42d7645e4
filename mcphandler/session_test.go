package mcphandler

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

// endRecorder is an upstream that creates a session per initialize and
// records the DELETEs that end them, with who sent them.
type endRecorder struct {
	upstream
	mu    sync.Mutex
	ended map[string]string // session id -> subject of the DELETE
}

func (e *endRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		a, ok := FromContext(r.Context())
		p, pok := authresult.FromContext(r.Context())
		e.mu.Lock()
		if e.ended == nil {
			e.ended = map[string]string{}
		}
		if ok && pok && a.Principal() == p && a.SessionID() == r.Header.Get(headerSession) {
			e.ended[r.Header.Get(headerSession)] = p.Subject
		}
		e.mu.Unlock()
	}
	e.upstream.ServeHTTP(w, r)
}

func (e *endRecorder) endedBy() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]string{}
	for k, v := range e.ended {
		out[k] = v
	}
	return out
}

// TestSessionsPerPrincipalBounded: a principal that keeps initializing
// holds at most MaxPerPrincipal sessions; each one past it ends the
// least recently used, on the server too, with a DELETE on the owner's
// behalf.
func TestSessionsPerPrincipalBounded(t *testing.T) {
	up := &endRecorder{}
	store := NewMemoryStore(&MemoryStoreOptions{MaxPerPrincipal: 2})
	h := newGuard(t, up, &Options{Store: store})
	bobs := initSession(t, h, bob)
	var alices []string
	for range 5 {
		alices = append(alices, initSession(t, h, alice))
	}
	want := map[string]string{alices[0]: "alice", alices[1]: "alice", alices[2]: "alice"}
	assert.Eventually(t, func() bool { return fmt.Sprint(up.endedBy()) == fmt.Sprint(want) }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, want, up.endedBy(), "the three oldest ended, by alice")
	assert.Equal(t, 3, store.len())
	for i, sid := range alices {
		rec := do(t, h, req{body: callEcho, p: alice, headers: map[string]string{headerSession: sid}})
		if i < 3 {
			assert.Equal(t, 404, rec.Code, "evicted session %d", i)
		} else {
			assert.Equal(t, 200, rec.Code, "kept session %d", i)
		}
	}
	rec := do(t, h, req{body: callEcho, p: bob, headers: map[string]string{headerSession: bobs}})
	assert.Equal(t, 200, rec.Code, "another principal's session is untouched")
}

// TestExpiredSessionsEnded: bindings the store expires are ended on the
// server, each by its own owner.
func TestExpiredSessionsEnded(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	up := &endRecorder{}
	h := newGuard(t, up, &Options{Store: NewMemoryStore(&MemoryStoreOptions{IdleTTL: time.Minute, Now: clk.Now})})
	old := initSession(t, h, bob)
	clk.Advance(2 * time.Minute)
	initSession(t, h, alice)
	assert.Eventually(t, func() bool { return up.endedBy()[old] == "bob" }, 5*time.Second, 5*time.Millisecond)
	require.Len(t, up.endedBy(), 1)
}

// TestUnboundSessionIDsEnded: a session id the server hands out that no
// binding stands behind — an initialize inside a session, or under a
// revision without sessions — never reaches the client and is ended on
// the server, so a user cannot pile up server sessions the guard does not
// count.
func TestUnboundSessionIDsEnded(t *testing.T) {
	up := &endRecorder{}
	h := newGuard(t, up, nil)
	sid := initSession(t, h, alice)

	rec := do(t, h, req{body: initBody, p: alice, headers: map[string]string{headerSession: sid}})
	require.Equal(t, 200, rec.Code)
	assert.Empty(t, rec.Header().Values(headerSession), "the second session's id is removed")

	rec = do(t, h, req{body: initBody, p: alice, headers: map[string]string{headerVersion: "2026-07-28", headerMethod: "initialize"}})
	require.Equal(t, 200, rec.Code)
	assert.Empty(t, rec.Header().Values(headerSession))

	assert.Eventually(t, func() bool { return len(up.endedBy()) == 2 }, 5*time.Second, 5*time.Millisecond)
	for id, by := range up.endedBy() {
		assert.NotEqual(t, sid, id, "the bound session is not ended")
		assert.Equal(t, "alice", by)
	}
	rec = do(t, h, req{body: callEcho, p: alice, headers: map[string]string{headerSession: sid}})
	assert.Equal(t, 200, rec.Code, "the bound session still works")
}
