package mcphandler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/panics"
)

// route returns the route r's sessions are bound to.
func (h *Handler) route(r *http.Request) string {
	if h.cfg.route != "" {
		return h.cfg.route
	}
	return r.URL.Path
}

// checkSession enforces session binding for revisions with sessions: a
// request naming a session must name one, bound to its principal and
// route. Unknown, expired and other principals' sessions look the same.
func (h *Handler) checkSession(q *request) *refusal {
	if q.modern {
		return nil
	}
	ids := q.r.Header[headerSession] // canonical keys: no re-canonicalising
	q.key = h.bindingKey(q.a.principal, h.route(q.r))
	switch len(ids) {
	case 0:
		return nil
	case 1:
	default:
		return kindTwoSessions.refuse(checkSession, q.firstID())
	}
	ok, err := h.cfg.store.Check(q.r.Context(), ids[0], q.key)
	switch {
	case err != nil:
		return authRefusal(checkSession, q.firstID(), authresult.Unavailable("session store unavailable", 0, err))
	case !ok:
		return kindNoSession.refuse(checkSession, q.firstID())
	}
	q.a.sessionID = ids[0]
	return nil
}

// sessionHook sets what q's response is watched for (see
// request.onHeader) to keep the bindings true:
//   - a request outside a session: a successful response that creates one
//     binds it to the principal before the client sees its id;
//   - a DELETE the server accepts: the binding is removed;
//   - any other request: a session id the server hands out that no
//     binding stands behind (a revision without sessions; a second
//     initialize inside a session) is removed from the response and ended
//     on the server, so that it can neither reach the client nor pile up.
//
// q.ended receives the sessions to end on the server.
func (h *Handler) sessionHook(q *request) {
	switch {
	case q.modern:
		q.watch = watchUnbound
	case q.a.sessionID == "":
		q.watch = watchBind
	case q.r.Method == http.MethodDelete:
		q.watch = watchDelete
	default:
		q.watch = watchUnbound
	}
	q.h = h
}

// What a request's response is watched for.
const (
	watchUnbound = iota + 1 // session ids no binding stands behind
	watchBind               // a new session to bind
	watchDelete             // a session the server ended
)

// headerWatcher sees a response's status and headers before they are
// sent; a refusal it returns replaces the response.
type headerWatcher interface {
	onHeader(status int, hdr http.Header) *refusal
}

// onHeader implements headerWatcher for the session logic (sessionHook).
func (q *request) onHeader(status int, hdr http.Header) *refusal {
	h := q.h
	switch q.watch {
	case watchBind:
		return h.bind(q, status, hdr)
	case watchDelete:
		if status/100 == 2 {
			if err := h.cfg.store.Delete(q.r.Context(), q.a.sessionID); err != nil {
				h.cfg.log.LogAttrs(q.r.Context(), slog.LevelError, "mcpauth: could not forget a deleted session", slog.Any("error", err))
			}
		}
	case watchUnbound:
		bound := ""
		if !q.modern {
			bound = q.a.sessionID
		}
		h.dropUnbound(q, hdr, bound)
	}
	return nil
}

// dropUnbound removes from a response the session ids other than bound
// (the request's own, "" for none) and records them to be ended on the
// server on the principal's behalf.
func (h *Handler) dropUnbound(q *request, hdr http.Header, bound string) {
	ids, ok := hdr[headerSession]
	if !ok || (len(ids) == 1 && ids[0] == bound) {
		return
	}
	delete(hdr, headerSession)
	key := q.key
	if key == (Key{}) {
		key = h.bindingKey(q.a.principal, h.route(q.r))
	}
	for _, id := range ids {
		if id != "" && id != bound {
			q.ended = append(q.ended, Binding{ID: id, Key: key})
		}
	}
	if len(q.ended) > 0 {
		h.owners.put(key, ownerOf(q.a.principal))
		h.cfg.log.LogAttrs(q.r.Context(), slog.LevelWarn, "mcpauth: the server handed out a session id outside a binding; removed and ended",
			slog.Int("sessions", len(q.ended)))
	}
	if bound != "" && slices.Contains(ids, bound) {
		hdr[headerSession] = []string{bound}
	}
}

// bind binds a session the response creates, or refuses the response when
// the binding fails, so that an unbound session id never reaches the
// client; the server's session is then ended too (with the store down,
// each refused initialize would otherwise leave one behind).
func (h *Handler) bind(q *request, status int, hdr http.Header) *refusal {
	created := hdr[headerSession]
	if status/100 != 2 || len(created) == 0 {
		return nil
	}
	ctx := q.r.Context()
	err := errUnbound
	if len(created) == 1 && created[0] != "" {
		if q.ended, err = h.cfg.store.Bind(ctx, created[0], q.key); err == nil {
			h.owners.put(q.key, ownerOf(q.a.principal))
			q.created = created[0]
			return nil
		}
	}
	delete(hdr, headerSession)
	for _, id := range created {
		if id != "" {
			q.ended = append(q.ended, Binding{ID: id, Key: q.key})
		}
	}
	if len(q.ended) > 0 {
		h.owners.put(q.key, ownerOf(q.a.principal))
	}
	return authRefusal(refusedByBinding, q.firstID(), authresult.Unavailable("session could not be bound", 0, err))
}

// ownerOf is the part of p a DELETE on its behalf needs: identity and
// scopes, no claims, no expiry (it may be sent after the token expired).
func ownerOf(p *authresult.Principal) *authresult.Principal {
	return &authresult.Principal{Subject: p.Subject, Issuer: p.Issuer, Audience: p.Audience, Scopes: p.Scopes, ClientID: p.ClientID}
}

// maxEnders bounds the goroutines that end sessions in the background.
const maxEnders = 4

// endTimeout bounds one DELETE that ends a session on the server.
const endTimeout = 10 * time.Second

// endSessions ends on the wrapped handler the sessions whose bindings the
// store ended (evicted to make room, or expired), so that the server
// forgets them too: a DELETE with the session id, on behalf of its owner.
// It runs in the background, at most maxEnders batches at a time; past
// that, on the caller's goroutine.
func (h *Handler) endSessions(r *http.Request, ended []Binding) {
	if len(ended) == 0 {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	u := *r.URL
	run := func() {
		for _, b := range ended {
			h.endSession(ctx, &u, r.Host, b)
		}
	}
	select {
	case h.enders <- struct{}{}:
		go func() {
			defer func() { <-h.enders }()
			run()
		}()
	default:
		run()
	}
}

var (
	errNoOwner     = errors.New("mcphandler: owner of an ended session unknown")
	errServerPanic = errors.New("mcphandler: server panicked")
)

// endSession sends one DELETE through the wrapped handler.
func (h *Handler) endSession(ctx context.Context, u *url.URL, host string, b Binding) {
	owner, ok := h.owners.get(b.Key)
	if !ok {
		h.cfg.log.LogAttrs(ctx, slog.LevelDebug, "mcpauth: session ended without its owner known; the server's own timeout applies", slog.Any("error", errNoOwner))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, endTimeout)
	defer cancel()
	q := &request{a: Admission{principal: owner, sessionID: b.ID}, key: b.Key}
	r := (&http.Request{
		Method: http.MethodDelete, URL: u, Host: host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{headerSession: {b.ID}}, Body: http.NoBody,
	}).WithContext(newContext(authresult.NewContext(ctx, owner), &q.a))
	defer func() {
		if rec := recover(); rec != nil {
			panics.InBackground(ctx, h.cfg.log, "server, ending a session,", errServerPanic, rec)
		}
	}()
	next, err := h.serverFor(r, owner)
	if err != nil {
		h.cfg.log.LogAttrs(ctx, slog.LevelWarn, "mcpauth: could not end a session on the server", slog.Any("error", err))
		return
	}
	var w discardWriter
	next.ServeHTTP(&w, r)
	if w.status/100 != 2 && w.status != http.StatusNotFound {
		h.cfg.log.LogAttrs(ctx, slog.LevelWarn, "mcpauth: server did not end a session", slog.Int("status", w.status))
	}
}

// discardWriter is the response writer of the guard's own requests.
type discardWriter struct {
	hdr    http.Header
	status int
}

func (w *discardWriter) Header() http.Header {
	if w.hdr == nil {
		w.hdr = http.Header{}
	}
	return w.hdr
}

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
