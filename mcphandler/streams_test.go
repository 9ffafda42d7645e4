package mcphandler

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

// TestStreamsBounded holds GET streams open through a real server: past
// MaxStreams a principal's next GET gets 429 without reaching the server,
// another principal is unaffected, and a slot comes back when a stream
// ends, however it ends (here: the server panics).
func TestStreamsBounded(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		entered.Done()
		<-release
		if r.Header.Get("X-Panic") != "" {
			panic(http.ErrAbortHandler)
		}
	})
	g, err := New(next, &Options{MaxStreams: 2})
	require.NoError(t, err)
	who := map[string]*authresult.Principal{"alice": alice, "bob": bob}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.ServeHTTP(w, r.WithContext(authresult.NewContext(r.Context(), who[r.Header.Get("X-User")])))
	}))
	t.Cleanup(srv.Close)
	get := func(user string, panics bool) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/mcp", nil)
		req.Header.Set("X-User", user)
		if panics {
			req.Header.Set("X-Panic", "1")
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		return resp
	}

	entered.Add(3)
	a1, a2, b1 := get("alice", true), get("alice", false), get("bob", false)
	entered.Wait()
	for _, r := range []*http.Response{a1, a2, b1} {
		require.Equal(t, http.StatusOK, r.StatusCode)
	}
	over := get("alice", false)
	assert.Equal(t, http.StatusTooManyRequests, over.StatusCode, "a third stream for alice")
	over.Body.Close()

	close(release)
	for _, r := range []*http.Response{a1, a2, b1} {
		r.Body.Close()
	}
	require.Eventually(t, func() bool {
		g.streams.mu.Lock()
		defer g.streams.mu.Unlock()
		return len(g.streams.open) == 0
	}, 5*time.Second, 10*time.Millisecond, "every slot back, the panicking stream's too")
	entered.Add(1)
	again := get("alice", false)
	defer again.Body.Close()
	assert.Equal(t, http.StatusOK, again.StatusCode)
}

func TestStreamsOptionsValidated(t *testing.T) {
	_, err := New(http.NotFoundHandler(), &Options{MaxStreams: -1})
	assert.ErrorIs(t, err, errConfig)
}
