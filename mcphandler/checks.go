package mcphandler

import (
	"net/http"
	"slices"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
)

// Names of the checks, as logs and the package documentation show them.
const (
	checkPrincipal     = "principal"
	checkMethod        = "method"
	checkHeaderTwin    = "header_twin"
	checkConnection    = "connection"
	checkOrigin        = "origin"
	checkVersion       = "protocol_version"
	checkSessionless   = "sessionless_method"
	checkContentType   = "content_type"
	checkEncoding      = "content_encoding"
	checkBody          = "body"
	checkJSONRPC       = "jsonrpc"
	checkMethodHeaders = "method_headers"
	checkRateLimit     = "rate_limit"
	checkResourceURI   = "resource_uri"
	checkPolicy        = "policy"
	checkSession       = "session"
	checkStreams       = "streams"
)

// Names of the refusals that can happen after the checks, while serving.
const (
	refusedByFactory = "factory" // the server factory refused or failed
	refusedByBinding = "binding" // a new session could not be bound
	refusedByFilter  = "filter"  // a tools/list response could not be filtered
)

// checks are the guard's checks in the order they run. Each passes,
// recording in the request what it learned, or returns its refusal; the
// wrapped handler runs only when all have passed. The package
// documentation lists them in this order (TestDocListsEveryCheck).
var checks = [...]struct {
	name string
	run  func(*Handler, *request) *refusal
}{
	{checkPrincipal, (*Handler).checkPrincipal},
	{checkMethod, (*Handler).checkMethod},
	{checkHeaderTwin, (*Handler).checkHeaderTwin},
	{checkConnection, (*Handler).checkConnection},
	{checkOrigin, (*Handler).checkOrigin},
	{checkVersion, (*Handler).checkVersion},
	{checkSessionless, (*Handler).checkSessionless},
	{checkContentType, (*Handler).checkContentType},
	{checkEncoding, (*Handler).checkEncoding},
	{checkBody, (*Handler).checkBody},
	{checkJSONRPC, (*Handler).checkJSONRPC},
	{checkMethodHeaders, (*Handler).checkMethodHeaders},
	{checkRateLimit, (*Handler).checkRateLimit},
	{checkResourceURI, (*Handler).checkResourceURI},
	{checkPolicy, (*Handler).checkPolicy},
	{checkSession, (*Handler).checkSession},
	{checkStreams, (*Handler).checkStreams},
}

// request is one request as the checks learn it. Its Admission is what
// the wrapped handler sees.
type request struct {
	a      Admission
	r      *http.Request
	w      http.ResponseWriter // only to bound the body read by time
	modern bool                // a revision without sessions
	batch  bool
	key    Key       // the binding key of principal and route
	ended  []Binding // sessions to end on the server after the response
	gw     guardWriter
	h      *Handler // for onHeader
	watch  int      // what onHeader watches for (sessionHook)
	stream bool     // holds a stream slot (checkStreams)
	// What decisions report beyond the checks (report.go).
	latency  time.Duration // of the checks, when a hook listens
	filtered bool          // a tools/list answer lost tools
	created  string        // the session id a response created and bound
	one      [1]message
}

// decide runs the checks on r. It returns the request as the checks
// learned it and the refusal of the first check that failed, if any; only
// a request without a refusal may be served. It writes no response; it
// reads (and restores) the body, and consults the session store.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) (*request, *refusal) {
	q := &request{r: r, w: w}
	for _, c := range checks {
		if f := c.run(h, q); f != nil {
			return q, f
		}
	}
	return q, nil
}

// firstID is the id to echo in a refusal: that of a single message.
func (q *request) firstID() []byte {
	if len(q.a.msgs) == 1 {
		return q.a.msgs[0].id
	}
	return nil
}

func (h *Handler) checkPrincipal(q *request) *refusal {
	p, ok := authresult.FromContext(q.r.Context())
	if !ok {
		h.warnMissingMiddleware(q.r)
		return authRefusal(checkPrincipal, nil, authresult.NoCredentials())
	}
	q.a.principal = p
	return nil
}

func (h *Handler) checkMethod(q *request) *refusal {
	switch q.r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
		return nil
	}
	f := kindMethod.refuse(checkMethod, nil)
	f.allow = allowedMethods
	return f
}

func (h *Handler) checkHeaderTwin(q *request) *refusal {
	if _, ok := variantHeader(q.r.Header); ok {
		return kindHeaderTwin.refuse(checkHeaderTwin, nil)
	}
	return nil
}

func (h *Handler) checkConnection(q *request) *refusal {
	if namesGuardedHeader(q.r.Header["Connection"]) {
		return kindConnection.refuse(checkConnection, nil)
	}
	return nil
}

func (h *Handler) checkOrigin(q *request) *refusal {
	if origin := q.r.Header["Origin"]; len(origin) > 0 && !h.originAllowed(origin, q.r.Host) {
		return kindOrigin.refuse(checkOrigin, nil)
	}
	return nil
}

func (h *Handler) checkVersion(q *request) *refusal {
	v := q.r.Header[headerVersion]
	if len(v) == 0 {
		return nil
	}
	if len(v) > 1 || !slices.Contains(protocolVersions, v[0]) {
		return kindVersion.refuse(checkVersion, nil)
	}
	q.a.version, q.modern = v[0], Sessionless(v[0])
	return nil
}

func (h *Handler) checkSessionless(q *request) *refusal {
	if q.modern && q.r.Method != http.MethodPost {
		f := kindMethod.refuse(checkSessionless, nil)
		f.allow = http.MethodPost
		return f
	}
	return nil
}

func (h *Handler) checkContentType(q *request) *refusal {
	if q.r.Method != http.MethodPost {
		return nil
	}
	if v := q.r.Header["Content-Type"]; len(v) != 1 || !jsonMediaType(v[0]) {
		return kindMediaType.refuse(checkContentType, nil)
	}
	return nil
}

func (h *Handler) checkEncoding(q *request) *refusal {
	if q.r.Method != http.MethodPost {
		return nil
	}
	if v, ok := q.r.Header["Content-Encoding"]; ok && !identityEncoding(v) {
		return kindEncoding.refuse(checkEncoding, nil)
	}
	return nil
}

func (h *Handler) checkBody(q *request) *refusal {
	if q.r.Method != http.MethodPost {
		return nil
	}
	body, f := h.readBody(q.w, q.r)
	q.a.body = body
	return f
}

func (h *Handler) checkJSONRPC(q *request) *refusal {
	if q.r.Method != http.MethodPost {
		return nil
	}
	msgs, batch, perr := parseBody(q.a.body, q.one[:0], h.cfg.names)
	if perr != nil {
		return perr.refusal()
	}
	q.a.msgs, q.batch = msgs, batch
	return nil
}

func (h *Handler) checkMethodHeaders(q *request) *refusal {
	if !q.modern || q.r.Method != http.MethodPost {
		return nil
	}
	return checkHeaders(q.r.Header, q.a.msgs, q.batch)
}

func (h *Handler) checkResourceURI(q *request) *refusal {
	if h.cfg.policy == nil || len(h.cfg.policy.resources) == 0 {
		return nil
	}
	for i := range q.a.msgs {
		m := &q.a.msgs[i]
		if nameParam(m.method) == "uri" && uriProblem(m.name) != "" {
			return kindResourceURI.refuse(checkResourceURI, m.id)
		}
	}
	return nil
}

func (h *Handler) checkPolicy(q *request) *refusal {
	if err := h.cfg.policy.authorize(q.a.principal, q.a.msgs); err != nil {
		return authRefusal(checkPolicy, q.firstID(), err)
	}
	return nil
}
