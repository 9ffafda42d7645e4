package mcphandler

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackBatchLargerThanBurstRetryAfter: a batch of more messages than
// the bucket's burst can never be taken, however long the client waits;
// a 429 with Retry-After would promise otherwise and a client honouring
// it would retry forever. It is refused with 400 and no Retry-After,
// and takes nothing from the bucket.
func TestAttackBatchLargerThanBurstRetryAfter(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	l, err := NewMemoryLimiter(&MemoryLimiterOptions{Rate: 1, Burst: 2, Now: clk.Now})
	require.NoError(t, err)
	h := newGuard(t, &upstream{}, &Options{RateLimit: &RateLimit{Limiter: l}})
	batch := `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]`
	rec := do(t, h, req{body: batch, p: alice})
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Empty(t, rec.Header().Get("Retry-After"), "no promise that cannot come true")
	assert.Contains(t, rec.Body.String(), "-32029")
	two := `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`
	assert.Equal(t, http.StatusOK, do(t, h, req{body: two, p: alice}).Code, "the refused batch took nothing")
}
