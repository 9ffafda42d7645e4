package mcphandler

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
)

// decideCase is one row of the decision table: a request and the check
// that must refuse it with status and reason, or "" when it must be
// admitted.
type decideCase struct {
	name   string
	opts   *Options
	build  func() *http.Request
	check  string
	status int
	reason decision.Reason // what the guard's decision reports
	before func(*Handler)  // prepares the guard, if set
}

// post builds an authenticated POST of body with extra headers; a header
// given as "" is removed.
func post(p *authresult.Principal, body string, hdr ...string) func() *http.Request {
	return reqWith(p, http.MethodPost, body, hdr...)
}

// reqWith builds requests with body, a string or a stateless io.Reader.
func reqWith(p *authresult.Principal, method string, body any, hdr ...string) func() *http.Request {
	return func() *http.Request {
		var rd io.Reader
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		case io.Reader:
			rd = b
		}
		r := httptest.NewRequest(method, "/mcp", rd)
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			if hdr[i+1] == "" {
				delete(r.Header, hdr[i])
				continue
			}
			r.Header[hdr[i]] = append(r.Header[hdr[i]], hdr[i+1])
			if hdr[i] == "Content-Type" && len(r.Header[hdr[i]]) == 2 && r.Header[hdr[i]][0] == "application/json" {
				r.Header[hdr[i]] = r.Header[hdr[i]][1:] // replace the default
			}
		}
		if p != nil {
			r = r.WithContext(authresult.NewContext(r.Context(), p))
		}
		return r
	}
}

// errBody is a body whose read fails with err.
type errBody struct{ err error }

func (b errBody) Read([]byte) (int, error) { return 0, b.err }

var boundStore = func() Store {
	s := NewMemoryStore(nil)
	_, _ = s.Bind(context.Background(), "bound", keyFor(alice, "/mcp"))
	return s
}

func decideCases() []decideCase {
	pol := &Options{Policy: &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}}}
	res := &Options{Policy: &Policy{AllowUndeclaredTools: true, Resources: map[string][]string{"config://admin": {"admin"}}}}
	readURI := func(uri string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"` + uri + `"}}`
	}
	modern := []string{headerVersion, "2026-07-28", headerMethod, "tools/call", headerName, "echo"}
	two := func(name, a, b string) func() *http.Request {
		return func() *http.Request {
			r := post(alice, callEcho)()
			r.Header[name] = []string{a, b}
			return r
		}
	}
	return []decideCase{
		{name: "no principal", build: post(nil, callEcho), check: checkPrincipal, status: 401, reason: decision.ReasonNoCredentials},
		{name: "invalid principal", build: post(&authresult.Principal{}, callEcho), check: checkPrincipal, status: 401, reason: decision.ReasonNoCredentials},
		{name: "PUT", build: reqWith(alice, http.MethodPut, callEcho), check: checkMethod, status: 405, reason: decision.ReasonMethodNotAllowed},
		{name: "HEAD", build: reqWith(alice, http.MethodHead, nil), check: checkMethod, status: 405, reason: decision.ReasonMethodNotAllowed},
		{name: "underscore session twin", build: post(alice, callEcho, "Mcp_Session_Id", "x"), check: checkHeaderTwin, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "underscore content-type twin", build: post(alice, callEcho, "Content_Type", "text/plain"), check: checkHeaderTwin, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "Connection names the session header", build: post(alice, callEcho, "Connection", "Mcp-Session-Id"), check: checkConnection, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "Connection names the version among others", build: post(alice, callEcho, "Connection", "keep-alive, mcp-protocol-version"), check: checkConnection, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "Connection names Content-Type", build: post(alice, callEcho, "Connection", "close", "Connection", "content-type"), check: checkConnection, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "foreign origin", build: post(alice, callEcho, "Origin", "https://evil.example"), check: checkOrigin, status: 403, reason: decision.ReasonOrigin},
		{name: "unknown version", build: post(alice, callEcho, headerVersion, "2099-01-01"), check: checkVersion, status: 400, reason: decision.ReasonProtocolVersion},
		{name: "two versions", build: two(headerVersion, "2025-11-25", "2026-07-28"), check: checkVersion, status: 400, reason: decision.ReasonProtocolVersion},
		{name: "GET without sessions", build: reqWith(alice, http.MethodGet, nil, headerVersion, "2026-07-28"), check: checkSessionless, status: 405, reason: decision.ReasonMethodNotAllowed},
		{name: "no Content-Type", build: post(alice, callEcho, "Content-Type", ""), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "charset utf-7", build: post(alice, callEcho, "Content-Type", "application/json; charset=utf-7"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "quoted charset UTF-7", build: post(alice, callEcho, "Content-Type", `application/json; charset="UTF-7"`), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "charset utf-16", build: post(alice, callEcho, "Content-Type", "application/json;charset=utf-16le"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "RFC 2231 charset", build: post(alice, callEcho, "Content-Type", "application/json; charset*=utf-8''utf-8"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "two parameters", build: post(alice, callEcho, "Content-Type", "application/json; charset=utf-8; charset=utf-7"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "text/plain", build: post(alice, callEcho, "Content-Type", "text/plain"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "form", build: post(alice, callEcho, "Content-Type", "application/x-www-form-urlencoded"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "two Content-Types", build: two("Content-Type", "application/json", "application/json"), check: checkContentType, status: 415, reason: decision.ReasonMediaType},
		{name: "gzip body", build: post(alice, callEcho, "Content-Encoding", "gzip"), check: checkEncoding, status: 415, reason: decision.ReasonMediaType},
		{name: "identity then gzip", build: post(alice, callEcho, "Content-Encoding", "identity, gzip"), check: checkEncoding, status: 415, reason: decision.ReasonMediaType},
		{name: "body too large", opts: &Options{MaxBodyBytes: 16}, build: post(alice, callEcho), check: checkBody, status: 413, reason: decision.ReasonBodyTooLarge},
		{name: "body late", build: reqWith(alice, http.MethodPost, errBody{os.ErrDeadlineExceeded}), check: checkBody, status: 408, reason: decision.ReasonBodyTimeout},
		{name: "body unreadable", build: reqWith(alice, http.MethodPost, errBody{errors.New("connection reset")}), check: checkBody, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "invalid JSON", build: post(alice, `{"jsonrpc":`), check: checkJSONRPC, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "case-variant member", build: post(alice, `{"jsonrpc":"2.0","id":1,"method":"ping","METHOD":"tools/call"}`), check: checkJSONRPC, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "header says echo, body says admin", build: post(alice, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_reset"}}`, modern...), check: checkMethodHeaders, status: 400, reason: decision.ReasonHeaderMismatch},
		{name: "batch in a session-less revision", build: post(alice, "["+callEcho+"]", modern...), check: checkMethodHeaders, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "admin tool for a reader", opts: pol, build: post(alice, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_reset"}}`), check: checkPolicy, status: 403, reason: decision.ReasonInsufficientScope},
		{name: "undeclared tool", opts: pol, build: post(alice, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}`), check: checkPolicy, status: 403, reason: decision.ReasonForbidden},
		{name: "two session ids", build: two(headerSession, "bound", "other"), check: checkSession, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "unknown session", build: post(alice, callEcho, headerSession, "nope"), check: checkSession, status: 404, reason: decision.ReasonSessionNotFound},
		{name: "another principal's session", opts: &Options{Store: boundStore()}, build: post(bob, callEcho, headerSession, "bound"), check: checkSession, status: 404, reason: decision.ReasonSessionNotFound},
		{name: "store down", opts: &Options{Store: failingStore{errors.New("down")}}, build: post(alice, callEcho, headerSession, "x"), check: checkSession, status: 503, reason: decision.ReasonUnavailable},

		{name: "rate limit spent", opts: &Options{RateLimit: &RateLimit{Limiter: spent{}}}, build: post(alice, callEcho), check: checkRateLimit, status: 429, reason: decision.ReasonRateLimited},
		{name: "a tool's rate limit spent", opts: &Options{Policy: &Policy{AllowUndeclaredTools: true}, RateLimit: &RateLimit{Limiter: plenty{}, Tools: map[string]Limiter{"echo": spent{}}}}, build: post(alice, callEcho), check: checkRateLimit, status: 429, reason: decision.ReasonRateLimited},
		{name: "batch over the burst", opts: &Options{RateLimit: &RateLimit{Limiter: overBurst{}}}, build: post(alice, callEcho), check: checkRateLimit, status: 400, reason: decision.ReasonRateLimited},
		{name: "rate limiter down", opts: &Options{RateLimit: &RateLimit{Limiter: failingLimiter{}}}, build: post(alice, callEcho), check: checkRateLimit, status: 503, reason: decision.ReasonUnavailable},
		{name: "streams taken", opts: &Options{MaxStreams: 1}, before: takeStream, build: reqWith(alice, http.MethodGet, nil), check: checkStreams, status: 429, reason: decision.ReasonTooManyStreams},
		{name: "resource URI upper-case scheme", opts: res, build: post(alice, readURI("CONFIG://admin")), check: checkResourceURI, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "resource URI dot segment in a batch", opts: res, build: post(alice, "["+readURI("config://x")+","+readURI("config://x/../admin")+"]"), check: checkResourceURI, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "subscribe to an escaped spelling", opts: res, build: post(alice, `{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"config://%61dmin"}}`), check: checkResourceURI, status: 400, reason: decision.ReasonInvalidRequest},
		{name: "admin resource for a reader", opts: res, build: post(alice, readURI("config://admin")), check: checkPolicy, status: 403, reason: decision.ReasonInsufficientScope},
		{name: "subscribe to the admin resource", opts: res, build: post(alice, `{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"config://admin"}}`), check: checkPolicy, status: 403, reason: decision.ReasonInsufficientScope},

		{name: "initialize", build: post(alice, initBody)},
		{name: "within the rate limit", opts: &Options{RateLimit: &RateLimit{Limiter: plenty{}, Tools: map[string]Limiter{"other": spent{}}}}, build: post(alice, callEcho)},
		{name: "a stream of another principal's", opts: &Options{MaxStreams: 1}, before: takeStream, build: reqWith(bob, http.MethodGet, nil)},
		{name: "odd resource URI without resources in the policy", opts: pol, build: post(alice, readURI("CONFIG://admin"))},
		{name: "unlisted resource in normal form", opts: res, build: post(alice, readURI("config://public"))},
		{name: "Content-Type in other case, quoted charset", build: post(alice, callEcho, "Content-Type", `APPLICATION/JSON; Charset="UTF-8"`)},
		{name: "Content-Type with charset=utf-8", build: post(alice, callEcho, "Content-Type", "application/json;charset=utf-8")},
		{name: "identity encoding", build: post(alice, callEcho, "Content-Encoding", "identity")},
		{name: "Connection keep-alive", build: post(alice, callEcho, "Connection", "keep-alive")},
		{name: "own session", opts: &Options{Store: boundStore()}, build: post(alice, callEcho, headerSession, "bound")},
		{name: "own session GET", opts: &Options{Store: boundStore()}, build: reqWith(alice, http.MethodGet, nil, headerSession, "bound")},
		{name: "modern call", build: post(alice, callEcho, modern...)},
	}
}

// spent, plenty and failingLimiter are limiters that always refuse,
// always allow, and always fail.
type (
	spent          struct{}
	plenty         struct{}
	failingLimiter struct{}
	overBurst      struct{}
)

func (overBurst) Take(context.Context, string, int) (bool, time.Duration, error) {
	return false, -1, nil
}

func (spent) Take(context.Context, string, int) (bool, time.Duration, error) {
	return false, 1500 * time.Millisecond, nil
}
func (plenty) Take(context.Context, string, int) (bool, time.Duration, error) { return true, 0, nil }
func (failingLimiter) Take(context.Context, string, int) (bool, time.Duration, error) {
	return false, 0, errors.New("redis: connection refused")
}

// takeStream holds alice's one stream slot on /mcp.
func takeStream(h *Handler) { h.streams.acquire(keyFor(alice, "/mcp")) }

// TestDecide runs the decision table against the decision function
// itself: no response is written, and every refusal names its check.
func TestDecide(t *testing.T) {
	for _, tt := range decideCases() {
		t.Run(tt.name, func(t *testing.T) {
			h := newGuard(t, &upstream{}, tt.opts)
			if tt.before != nil {
				tt.before(h)
			}
			rec := httptest.NewRecorder()
			q, f := h.decide(rec, tt.build())
			assert.False(t, rec.Flushed || rec.Body.Len() > 0 || len(rec.Header()) > 0, "decide writes nothing")
			if tt.check == "" {
				require.Nil(t, f, "%v", f)
				require.NotNil(t, q)
				assert.True(t, q.a.principal.Valid())
				return
			}
			require.NotNil(t, f, "must be refused by %s", tt.check)
			assert.Equal(t, tt.check, f.check)
			assert.Equal(t, tt.status, f.status)
			assert.NotEmpty(t, f.message)
			assert.NotZero(t, f.code)

			// Through ServeHTTP, the refusal is the response.
			// and the guard reports it: its layer, its reason, its status.
			rec = httptest.NewRecorder()
			up := &upstream{}
			var got []decision.Decision
			opts := &Options{}
			if tt.opts != nil {
				*opts = *tt.opts
			}
			opts.OnDecision = func(_ *http.Request, d decision.Decision) { got = append(got, d) }
			h = newGuard(t, up, opts)
			if tt.before != nil {
				tt.before(h)
			}
			h.ServeHTTP(rec, tt.build())
			assert.Equal(t, tt.status, rec.Code)
			require.Len(t, got, 1, "one decision per request")
			assert.Equal(t, decision.LayerGuard, got[0].Layer)
			require.True(t, tt.reason.Valid(), "every refusal row names its reason")
			assert.Equal(t, tt.reason, got[0].Reason)
			assert.Equal(t, tt.status, got[0].Status)
			assert.Equal(t, decision.OutcomeOf(tt.status), got[0].Outcome)
			assert.ErrorContains(t, got[0].Err, tt.check)
			assert.Zero(t, up.calls.Load(), "a refused request never reaches the server")
			assert.Equal(t, f.code, decodeResp(t, rec).Error.Code)
			if tt.status == 405 {
				assert.NotEmpty(t, rec.Header().Get("Allow"))
			}
		})
	}
}

// TestDocListsEveryCheck keeps the package documentation's list of checks
// true: the same checks in the same order as they run, each with exactly
// the statuses the decision table sees it answer.
func TestDocListsEveryCheck(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	doc := string(src)
	start := strings.Index(doc, "// # Checks")
	require.GreaterOrEqual(t, start, 0)
	var names []string
	statuses := map[string][]int{}
	status := regexp.MustCompile(`\b[1-5][0-9][0-9]\b`)
	inTable := false
	for _, line := range strings.Split(doc[start:], "\n") {
		row, ok := strings.CutPrefix(line, "//\t")
		if !ok {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		name, rest, _ := strings.Cut(row, " ")
		names = append(names, name)
		for _, s := range status.FindAllString(rest, -1) {
			n, _ := strconv.Atoi(s)
			statuses[name] = append(statuses[name], n)
		}
	}
	var want []string
	for _, c := range checks {
		want = append(want, c.name)
	}
	assert.Equal(t, want, names, "doc.go lists the checks in the order they run")

	seen := map[string][]int{}
	for _, c := range decideCases() {
		if c.check != "" && !slices.Contains(seen[c.check], c.status) {
			seen[c.check] = append(seen[c.check], c.status)
		}
	}
	for _, name := range want {
		assert.ElementsMatch(t, statuses[name], seen[name], "statuses of check %s: doc.go against the decision table", name)
	}
}
