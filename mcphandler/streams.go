package mcphandler

import (
	"net/http"
	"sync"
)

// DefaultMaxStreams bounds the GET streams one principal holds open on a
// route when Options.MaxStreams is zero: as many as the sessions it may
// hold by default.
const DefaultMaxStreams = 16

// streams counts the GET streams open for each binding key. A GET needs
// no session (a server may answer one without Mcp-Session-Id with a
// stream on a fresh session it never names), so the session bound alone
// does not bound them; this does. An entry lives only while a stream is
// open, so the map holds no more entries than there are open requests.
type streams struct {
	mu   sync.Mutex
	open map[Key]int
	max  int
}

// acquire takes a slot for k, reporting false when k's streams are all
// taken.
func (s *streams) acquire(k Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[k] >= s.max {
		return false
	}
	if s.open == nil {
		s.open = make(map[Key]int)
	}
	s.open[k]++
	return true
}

// release gives back a slot acquire took.
func (s *streams) release(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[k] <= 1 {
		delete(s.open, k)
		return
	}
	s.open[k]--
}

// checkStreams takes a stream slot for a GET; ServeHTTP gives it back when
// the response ends.
func (h *Handler) checkStreams(q *request) *refusal {
	if q.r.Method != http.MethodGet {
		return nil
	}
	if !h.streams.acquire(q.key) {
		return kindTooManyStreams.refuse(checkStreams, nil)
	}
	q.stream = true
	return nil
}
