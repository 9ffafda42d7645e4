package stdio

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// Bridge is an http.Handler that serves a stdio MCP server's children
// over Streamable HTTP. Put it behind an mcphandler guard: a request that
// did not pass one is refused.
type Bridge struct {
	cfg *config

	mu         sync.Mutex
	sessions   map[string]*child
	principals map[authresult.BindingKey]*child // children of requests outside a session
	counts     map[authresult.BindingKey]int
	all        map[*child]bool
	starting   int // children counted while their process starts
	closed     bool
	live       sync.WaitGroup // every child from admit until it is gone
}

// New returns a bridge that runs opts.Command for each session.
func New(opts *Options) (*Bridge, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	return &Bridge{
		cfg: cfg, sessions: map[string]*child{}, principals: map[authresult.BindingKey]*child{},
		counts: map[authresult.BindingKey]int{}, all: map[*child]bool{},
	}, nil
}

// Children returns how many children are running.
func (b *Bridge) Children() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.all)
}

// Close refuses new requests and ends every child, waiting until they are
// gone or ctx ends.
func (b *Bridge) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	kids := make([]*child, 0, len(b.all))
	for c := range b.all {
		kids = append(kids, c)
	}
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, c := range kids {
			go c.stop("shutdown")
		}
		b.live.Wait() // those ending already and those still starting too
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// admit starts a child for owner within the caps.
func (b *Bridge) admit(owner authresult.BindingKey, session string) (*child, error) {
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return nil, ErrClosed
	case len(b.all)+b.starting >= b.cfg.maxChildren:
		b.mu.Unlock()
		return nil, ErrTooManyChildren
	case b.counts[owner] >= b.cfg.maxPerPrincipal:
		b.mu.Unlock()
		return nil, ErrTooManyForPrincipal
	}
	b.counts[owner]++
	b.starting++
	b.live.Add(1)
	b.mu.Unlock()
	c, err := b.start(owner, session)
	b.mu.Lock()
	b.starting--
	if err != nil {
		b.uncount(owner)
		b.mu.Unlock()
		b.live.Done()
		b.cfg.log.Error("mcpauth: stdio server could not be started", slog.Any("error", err))
		return nil, ErrStart
	}
	select {
	case <-c.done: // it ended before it was indexed: forget found nothing
		b.uncount(owner)
		b.mu.Unlock()
		c.stop("exited")
		return nil, ErrStart
	default:
	}
	b.all[c] = true
	closed := b.closed
	b.mu.Unlock()
	if closed {
		c.stop("shutdown")
		return nil, ErrClosed
	}
	return c, nil
}

func (b *Bridge) uncount(owner authresult.BindingKey) {
	if b.counts[owner]--; b.counts[owner] <= 0 {
		delete(b.counts, owner)
	}
}

// forget removes an ending child from every index.
func (b *Bridge) forget(c *child) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.all[c] {
		return
	}
	delete(b.all, c)
	b.uncount(c.owner)
	b.unindex(c)
}

// session returns the child of session id if owner started it.
func (b *Bridge) session(id string, owner authresult.BindingKey) (*child, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.sessions[id]
	if c == nil || c.owner != owner { // another's looks like none
		return nil, ErrSessionNotFound
	}
	c.acquire() // under b.mu: an idle expiry cannot take it now
	return c, nil
}

// unindex makes c unreachable by new requests; b.mu is held.
func (b *Bridge) unindex(c *child) {
	if c.session != "" && b.sessions[c.session] == c {
		delete(b.sessions, c.session)
	}
	if b.principals[c.owner] == c {
		delete(b.principals, c.owner)
	}
}

// ServeHTTP implements http.Handler.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := mcphandler.FromContext(r.Context())
	if !ok {
		refuse(w, nil, ErrNotGuarded)
		return
	}
	owner := a.Principal().BindingKey()
	sid := a.SessionID() // exactly what the guard checked
	switch r.Method {
	case http.MethodPost:
		b.post(w, r, a, owner, sid)
	case http.MethodGet, http.MethodDelete:
		if mcphandler.Sessionless(a.ProtocolVersion()) {
			refuse(w, nil, ErrMethod)
			return
		}
		if sid == "" {
			refuse(w, nil, ErrSessionRequired)
			return
		}
		c, err := b.session(sid, owner)
		if err != nil {
			refuse(w, nil, err)
			return
		}
		defer c.release()
		if r.Method == http.MethodDelete {
			// The session is gone at once; the process is given its
			// StopTimeout to exit in the background.
			go c.stop("deleted")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		c.serveStream(w, r)
	default:
		refuse(w, nil, ErrMethod)
	}
}

// post serves one message: in its session's child; as a new session's
// initialize; or, outside a session, in the principal's own child.
func (b *Bridge) post(w http.ResponseWriter, r *http.Request, a *mcphandler.Admission, owner authresult.BindingKey, sid string) {
	body := a.Body()
	e, err := parse(body)
	if err != nil {
		if errors.Is(err, ErrBatch) {
			refuse(w, nil, ErrBatch)
			return
		}
		refuse(w, nil, ErrNotGuarded) // the guard admits only messages
		return
	}
	msg, err := compact(body)
	if err != nil {
		refuse(w, e.ID, ErrNotGuarded)
		return
	}
	switch {
	case sid != "":
		c, err := b.session(sid, owner)
		if err != nil {
			refuse(w, e.ID, err)
			return
		}
		defer c.release()
		c.serve(w, r, msg, e)
	case e.Method == "initialize" && !mcphandler.Sessionless(a.ProtocolVersion()):
		b.newSession(w, r, owner, msg, e)
	default:
		c, err := b.principal(r.Context(), owner)
		if err != nil {
			refuse(w, e.ID, err)
			return
		}
		defer c.release()
		switch e.Method {
		case "initialize": // the bridge's own, done once for the child
			w.Header().Set("Content-Type", "application/json")
			resp, _ := json.Marshal(map[string]json.RawMessage{"jsonrpc": json.RawMessage(`"2.0"`), "id": e.ID, "result": c.init})
			_, _ = w.Write(resp)
			return
		case "notifications/initialized":
			w.WriteHeader(http.StatusAccepted)
			return
		}
		c.serve(w, r, msg, e)
	}
}

// newSession starts a child for a new session and forwards its
// initialize; a successful answer carries the session id, which the guard
// binds to owner.
func (b *Bridge) newSession(w http.ResponseWriter, r *http.Request, owner authresult.BindingKey, msg []byte, e *envelope) {
	sid := rand.Text()
	c, err := b.admit(owner, sid)
	if err != nil {
		refuse(w, e.ID, err)
		return
	}
	close(c.ready)
	c.acquire()
	defer c.release()
	resp, err := c.roundTrip(r.Context(), msg, e)
	if err != nil {
		c.stop("initialize failed")
		refuse(w, e.ID, err)
		return
	}
	if isError(resp) {
		c.stop("initialize refused")
		writeJSON(w, resp)
		return
	}
	b.mu.Lock()
	live := b.all[c]
	if live {
		b.sessions[sid] = c
	}
	b.mu.Unlock()
	if !live {
		refuse(w, e.ID, ErrChildExited)
		return
	}
	w.Header().Set("Mcp-Session-Id", sid)
	writeJSON(w, resp)
}

// principal returns owner's child for requests outside a session,
// starting and initializing it on first use.
func (b *Bridge) principal(ctx context.Context, owner authresult.BindingKey) (*child, error) {
	b.mu.Lock()
	c := b.principals[owner]
	if c != nil {
		c.acquire() // under b.mu: an idle expiry cannot take it now
	}
	b.mu.Unlock()
	if c == nil {
		n, err := b.admit(owner, "")
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		if c = b.principals[owner]; c == nil && b.all[n] {
			b.principals[owner], c = n, n
			c.acquire()
			b.mu.Unlock()
			go n.initialize()
		} else {
			if c != nil {
				c.acquire()
			}
			b.mu.Unlock()
			n.stop("not needed") // another request started one first
			if c == nil {
				return nil, ErrChildExited
			}
		}
	}
	select {
	case <-c.ready:
	case <-c.done:
		c.release()
		return nil, ErrChildExited
	case <-ctx.Done():
		c.release()
		return nil, ErrChildExited
	}
	if c.initErr != nil {
		c.release()
		return nil, c.initErr
	}
	return c, nil
}

// initialize is the bridge's own handshake with a principal's child.
const initialize = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpauth","version":"1"}}}`

// initialize runs the handshake of a principal's child.
func (c *child) initialize() {
	defer close(c.ready)
	ctx, cancel := context.WithTimeout(context.Background(), c.b.cfg.call)
	defer cancel()
	e, _ := parse([]byte(initialize))
	resp, err := c.roundTrip(ctx, []byte(initialize), e)
	if err == nil && isError(resp) {
		err = ErrStart
	}
	var r struct {
		Result json.RawMessage `json:"result"`
	}
	if err == nil {
		if json.Unmarshal(resp, &r) != nil || len(r.Result) == 0 {
			err = ErrStart
		}
	}
	if err == nil {
		err = c.write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	}
	if err != nil {
		c.initErr = ErrStart
		go c.stop("initialize failed")
		return
	}
	c.init = r.Result
}

// serve forwards one message to the child and answers the client: the
// response of a request (as an SSE stream with its progress when the
// client accepts one and asked for progress), 202 for anything else.
// The caller holds a use of c (acquire).
func (c *child) serve(w http.ResponseWriter, r *http.Request, msg []byte, e *envelope) {
	if !e.isRequest() {
		if e.Method == "notifications/cancelled" {
			var p struct {
				Params struct {
					RequestID json.RawMessage `json:"requestId"`
				} `json:"params"`
			}
			if json.Unmarshal(msg, &p) != nil {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			bid := c.clientToBridge(p.Params.RequestID)
			if bid == "" {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			c.cancelled(bid)
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if e.isResponse() && c.session == "" {
			w.WriteHeader(http.StatusAccepted) // a principal's child asks nothing
			return
		}
		if err := c.write(msg); err != nil {
			refuse(w, e.ID, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if e.progress(true) != nil && accepts(r, "text/event-stream") {
		c.serveSSE(w, r, msg, e)
		return
	}
	resp, err := c.roundTrip(r.Context(), msg, e)
	if err != nil {
		refuse(w, e.ID, err)
		return
	}
	writeJSON(w, resp)
}

// roundTrip sends request msg and waits for its response.
func (c *child) roundTrip(ctx context.Context, msg []byte, e *envelope) ([]byte, error) {
	cl, id, err := c.send(msg, e, false)
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(c.b.cfg.call)
	defer t.Stop()
	select {
	case resp := <-cl.resp:
		return resp, nil
	case <-c.done:
		return nil, ErrChildExited
	case <-ctx.Done():
		c.cancel(id)
		return nil, ErrChildExited
	case <-t.C:
		c.cancel(id)
		return nil, ErrTimeout
	}
}

// serveSSE answers request msg as an SSE stream: its progress
// notifications, then its response.
func (c *child) serveSSE(w http.ResponseWriter, r *http.Request, msg []byte, e *envelope) {
	cl, id, err := c.send(msg, e, true)
	if err != nil {
		refuse(w, e.ID, err)
		return
	}
	t := time.NewTimer(c.b.cfg.call)
	defer t.Stop()
	defer c.drain(cl.notes) // after the call is answered or cancelled
	started := false
	start := func() {
		if !started {
			started = true
			sseHeader(w)
		}
	}
	for {
		select {
		case n := <-cl.notes:
			c.taken(n)
			start()
			if writeEvent(w, n) != nil {
				c.cancel(id)
				return
			}
		case resp := <-cl.resp:
			start()
			for drained := false; !drained; { // what came before it goes first
				select {
				case n := <-cl.notes:
					c.taken(n)
					_ = writeEvent(w, n)
				default:
					drained = true
				}
			}
			_ = writeEvent(w, resp)
			return
		case <-c.done:
			if !started {
				refuse(w, e.ID, ErrChildExited)
			}
			return
		case <-r.Context().Done():
			c.cancel(id)
			return
		case <-t.C:
			c.cancel(id)
			if !started {
				refuse(w, e.ID, ErrTimeout)
			}
			return
		}
	}
}

// serveStream is a session's GET stream: the child's own requests and
// notifications, until the client leaves or the child ends.
func (c *child) serveStream(w http.ResponseWriter, r *http.Request) {
	q := make(chan []byte, streamBuffer)
	c.mu.Lock()
	if c.stream != nil {
		c.mu.Unlock()
		refuse(w, nil, ErrStreamOpen)
		return
	}
	c.stream = q
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.stream = nil
		c.mu.Unlock()
		c.drain(q)
	}()
	sseHeader(w)
	for {
		select {
		case m := <-q:
			c.taken(m)
			if writeEvent(w, m) != nil {
				return
			}
		case <-c.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func sseHeader(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
}

func writeEvent(w http.ResponseWriter, data []byte) error {
	if _, err := w.Write(append(append([]byte("event: message\ndata: "), data...), "\n\n"...)); err != nil {
		return err
	}
	return http.NewResponseController(w).Flush()
}

func writeJSON(w http.ResponseWriter, resp []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

// isError reports whether response resp carries a JSON-RPC error.
func isError(resp []byte) bool {
	var m struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal(resp, &m) == nil && len(m.Error) > 0 && string(m.Error) != "null"
}

// accepts reports whether r's Accept header names media type t.
func accepts(r *http.Request, t string) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), t) {
				return true
			}
		}
	}
	return false
}
