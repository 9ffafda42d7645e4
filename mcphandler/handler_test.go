package mcphandler

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice      = &authresult.Principal{Subject: "alice", Issuer: "https://idp", Scopes: []string{"tools:call"}}
	aliceAgain = &authresult.Principal{Subject: "alice", Issuer: "https://idp", Scopes: []string{"tools:call"}, Value: "refreshed token"}
	bob        = &authresult.Principal{Subject: "bob", Issuer: "https://idp", Scopes: []string{"tools:call", "admin"}}
	mallory    = &authresult.Principal{Subject: "alice", Issuer: "https://evil-idp", Scopes: []string{"tools:call", "admin"}}
)

// upstream is a fake MCP server that trusts everyone, as the buggy servers
// did: it creates a session on initialize and answers everything else.
type upstream struct {
	calls    atomic.Int32
	mu       sync.Mutex
	lastBody string
	lastHdr  http.Header
	sessions int
	sse      bool // answer tools/list as text/event-stream
	sid      string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	u.mu.Lock()
	u.lastBody, u.lastHdr = string(body), r.Header.Clone()
	u.mu.Unlock()
	switch {
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	case strings.Contains(string(body), `"initialize"`):
		u.mu.Lock()
		u.sessions++
		sid := u.sid
		if sid == "" {
			sid = "session-" + string(rune('A'+u.sessions))
		}
		u.mu.Unlock()
		w.Header().Set(headerSession, sid)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}`)
	case strings.Contains(string(body), `"tools/list"`):
		list := `{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"echo"},{"name":"admin_reset"},{"name":"secret_undeclared"}]}}`
		if u.sse {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "event: message\ndata: "+list+"\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "999")
		_, _ = io.WriteString(w, list)
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"ran"}]}}`)
	}
}

const (
	initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	callEcho = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`
	listBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
)

type req struct {
	method  string
	body    string
	p       *authresult.Principal
	headers map[string]string
	path    string
}

func do(t *testing.T, h http.Handler, rq req) *httptest.ResponseRecorder {
	t.Helper()
	if rq.method == "" {
		rq.method = http.MethodPost
	}
	if rq.path == "" {
		rq.path = "/mcp"
	}
	var body io.Reader = http.NoBody
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range rq.headers {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	if rq.p != nil {
		r = r.WithContext(authresult.NewContext(r.Context(), rq.p))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

type rpcResp struct {
	ID    json.RawMessage `json:"id"`
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeResp(t *testing.T, rec *httptest.ResponseRecorder) rpcResp {
	t.Helper()
	var r rpcResp
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r), rec.Body.String())
	return r
}

func newGuard(t *testing.T, next http.Handler, opts *Options) *Handler {
	t.Helper()
	h, err := New(next, opts)
	require.NoError(t, err)
	return h
}

// initSession creates a session for p and returns its id.
func initSession(t *testing.T, h http.Handler, p *authresult.Principal) string {
	t.Helper()
	rec := do(t, h, req{body: initBody, p: p})
	require.Equal(t, 200, rec.Code, rec.Body.String())
	sid := rec.Header().Get(headerSession)
	require.NotEmpty(t, sid)
	return sid
}

func TestNoPrincipalNeverReachesServer(t *testing.T) {
	up := &upstream{}
	h := newGuard(t, up, &Options{Challenge: &jsonrpcerr.Challenge{ResourceMetadata: "https://m/.well-known/oauth-protected-resource"}})
	for _, rq := range []req{
		{body: initBody},
		{body: callEcho, headers: map[string]string{headerSession: "session-B"}},
		{method: http.MethodGet, headers: map[string]string{headerSession: "session-B"}},
		{method: http.MethodDelete, headers: map[string]string{headerSession: "session-B"}},
		{body: `[` + callEcho + `]`},
		{body: callEcho, p: &authresult.Principal{}}, // invalid principal
		{method: http.MethodPut, body: callEcho},
		{body: "not json"},
	} {
		rec := do(t, h, rq)
		assert.Equal(t, 401, rec.Code, rq)
		assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "resource_metadata=")
		assert.Empty(t, rec.Header().Get(headerSession))
	}
	assert.Zero(t, up.calls.Load(), "no request reached the server")
}

func TestTransportChecks(t *testing.T) {
	tests := []struct {
		name   string
		rq     req
		opts   *Options
		status int
		code   int
		id     string
	}{
		{name: "put", rq: req{method: http.MethodPut, body: callEcho}, status: 405},
		{name: "options", rq: req{method: http.MethodOptions}, status: 405},
		{name: "foreign origin", rq: req{body: callEcho, headers: map[string]string{"Origin": "https://evil.example"}}, status: 403},
		{name: "null origin", rq: req{body: callEcho, headers: map[string]string{"Origin": "null"}}, status: 403},
		{name: "allowed origin other case", opts: &Options{AllowedOrigins: []string{"https://app.example"}}, rq: req{body: callEcho, headers: map[string]string{"Origin": "HTTPS://APP.example"}}, status: 200},
		{name: "rebinding origin", opts: &Options{AllowedOrigins: []string{"https://app.example"}}, rq: req{body: callEcho, headers: map[string]string{"Origin": "http://attacker.example:8080"}}, status: 403},
		{name: "rebinding page on its own host", rq: req{body: callEcho, headers: map[string]string{"Origin": "http://attacker.example", "Host": "attacker.example"}}, status: 403},
		{name: "loopback same origin", rq: req{body: callEcho, headers: map[string]string{"Origin": "http://127.0.0.1:8080", "Host": "127.0.0.1:8080"}}, status: 200},
		{name: "localhost same origin", rq: req{body: callEcho, headers: map[string]string{"Origin": "http://localhost:8080", "Host": "localhost:8080"}}, status: 200},
		{name: "ipv6 loopback same origin", rq: req{body: callEcho, headers: map[string]string{"Origin": "http://[::1]:8080", "Host": "[::1]:8080"}}, status: 200},
		{name: "other loopback port", rq: req{body: callEcho, headers: map[string]string{"Origin": "http://127.0.0.1:9999", "Host": "127.0.0.1:8080"}}, status: 403},
		{name: "loopback origin to public host", rq: req{body: callEcho, headers: map[string]string{"Origin": "http://127.0.0.1:8080", "Host": "mcp.example:8080"}}, status: 403},
		{name: "unsupported version", rq: req{body: callEcho, headers: map[string]string{headerVersion: "2099-01-01"}}, status: 400, code: CodeUnsupportedProtocolVersion},
		{name: "too large", opts: &Options{MaxBodyBytes: 64}, rq: req{body: callEcho}, status: 413},
		{name: "invalid json", rq: req{body: `{"jsonrpc":"2.0","id":1,`}, status: 400, code: jsonrpcerr.CodeParseError, id: "null"},
		{name: "not an object", rq: req{body: `"tools/call"`}, status: 400, code: jsonrpcerr.CodeParseError},
		{name: "empty body", rq: req{body: ""}, status: 400, code: jsonrpcerr.CodeParseError},
		{name: "empty batch", rq: req{body: `[]`}, status: 400, code: jsonrpcerr.CodeInvalidRequest},
		{name: "batch of numbers", rq: req{body: `[1,2]`}, status: 400, code: jsonrpcerr.CodeInvalidRequest},
		{name: "wrong jsonrpc", rq: req{body: `{"jsonrpc":"1.0","id":7,"method":"ping"}`}, status: 400, code: jsonrpcerr.CodeInvalidRequest, id: "7"},
		{name: "object id", rq: req{body: `{"jsonrpc":"2.0","id":{},"method":"ping"}`}, status: 400, code: jsonrpcerr.CodeInvalidRequest},
		{name: "tools/call without name", rq: req{body: `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{}}`}, status: 400, code: jsonrpcerr.CodeInvalidParams, id: "4"},
		{name: "tools/call name not a string", rq: req{body: `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":1}}`}, status: 400, code: jsonrpcerr.CodeInvalidParams},
		{name: "neither request nor response", rq: req{body: `{"jsonrpc":"2.0","id":4}`}, status: 400, code: jsonrpcerr.CodeInvalidRequest},
		{name: "response to server request passes", rq: req{body: `{"jsonrpc":"2.0","id":4,"result":{}}`}, status: 200},
		{name: "notification passes", rq: req{body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &upstream{}
			h := newGuard(t, up, tt.opts)
			tt.rq.p = alice
			rec := do(t, h, tt.rq)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == 200 {
				assert.EqualValues(t, 1, up.calls.Load())
				return
			}
			assert.Zero(t, up.calls.Load(), "refused requests never reach the server")
			if tt.status == 405 {
				assert.Equal(t, allowedMethods, rec.Header().Get("Allow"))
			}
			r := decodeResp(t, rec)
			if tt.code != 0 {
				assert.Equal(t, tt.code, r.Error.Code)
			}
			if tt.id != "" {
				assert.Equal(t, tt.id, string(r.ID))
			}
		})
	}
}

// TestSmuggling sends bodies whose meaning depends on the parser: the guard
// refuses every one, so it can never authorize one method while the server
// runs another.
func TestSmuggling(t *testing.T) {
	pol := &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}}
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call","params":{"name":"admin_reset"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call","params":{"name":"admin_reset"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list","params":{"name":"admin_reset"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","NAME":"admin_reset"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"admin_reset"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","na\u006de":"admin_reset"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"PARAMS":{"name":"admin_reset"}}`,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"paramſ\":{\"name\":\"admin_reset\"},\"params\":{\"name\":\"echo\"}}",
		`{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"echo"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset"}}]`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_undeclared"}}]`,
	} {
		up := &upstream{}
		h := newGuard(t, up, &Options{Policy: pol})
		rec := do(t, h, req{body: body, p: alice})
		assert.Contains(t, []int{400, 403}, rec.Code, body)
		assert.Zero(t, up.calls.Load(), body)
	}
	// The escaped method name is the method, for the guard as for the server.
	up := &upstream{}
	h := newGuard(t, up, &Options{Policy: pol})
	rec := do(t, h, req{body: `{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"admin\u005freset"}}`, p: alice})
	assert.Equal(t, 403, rec.Code)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `scope="admin"`)
}

func TestPolicy(t *testing.T) {
	pol := &Policy{
		Methods:   map[string][]string{"tools/call": {"tools:call"}, "tools/list": {"tools:call"}},
		Tools:     map[string][]string{"echo": nil, "admin_reset": {"admin"}, "write_file": {"write"}},
		Prompts:   map[string][]string{"secret_prompt": {"admin"}},
		Resources: map[string][]string{"file:///etc/shadow": {"root"}},
		Implies:   map[string][]string{"admin": {"write"}, "write": {"read"}},
	}
	tests := []struct {
		name   string
		p      *authresult.Principal
		body   string
		status int
		scope  string // expected scope attribute of a 403 challenge
	}{
		{"declared tool", alice, callEcho, 200, ""},
		{"needs admin", alice, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_reset"}}`, 403, "admin tools:call"},
		{"admin has it", bob, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_reset"}}`, 200, ""},
		{"admin implies write", bob, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_file"}}`, 200, ""},
		{"method scope missing", &authresult.Principal{Subject: "x"}, callEcho, 403, "tools:call"},
		{"undeclared tool denied", bob, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}`, 403, ""},
		{"prompt needs admin", alice, `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"secret_prompt"}}`, 403, "admin"},
		{"undeclared prompt allowed", alice, `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"hello"}}`, 200, ""},
		{"resource needs root", bob, `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///etc/shadow"}}`, 403, "root"},
		{"batch refused as a whole, every scope named", alice, `[` + callEcho + `,{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset"}},{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"secret_prompt"}}]`, 403, "admin tools:call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &upstream{}
			h := newGuard(t, up, &Options{Policy: pol, Challenge: &jsonrpcerr.Challenge{ResourceMetadata: "https://m/prm"}})
			rec := do(t, h, req{body: tt.body, p: tt.p})
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == 200 {
				assert.EqualValues(t, 1, up.calls.Load())
				return
			}
			assert.Zero(t, up.calls.Load())
			ch := rec.Header().Get("WWW-Authenticate")
			if tt.scope != "" {
				assert.Contains(t, ch, `error="insufficient_scope"`)
				assert.Contains(t, ch, `scope="`+tt.scope+`"`)
				assert.Contains(t, ch, `resource_metadata="https://m/prm"`)
			} else {
				assert.NotContains(t, ch, "insufficient_scope")
			}
		})
	}
}

func TestToolsListFiltered(t *testing.T) {
	pol := &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}}
	for _, sse := range []bool{false, true} {
		for _, tc := range []struct {
			p    *authresult.Principal
			want []string
		}{{alice, []string{"echo"}}, {bob, []string{"echo", "admin_reset"}}} {
			up := &upstream{sse: sse}
			h := newGuard(t, up, &Options{Policy: pol})
			rec := do(t, h, req{body: listBody, p: tc.p})
			require.Equal(t, 200, rec.Code)
			assert.Empty(t, rec.Header().Get("Content-Length"))
			body := rec.Body.String()
			if sse {
				require.True(t, strings.HasPrefix(body, "event: message\ndata: "), body)
				require.True(t, strings.HasSuffix(body, "\n\n"), body)
				body = strings.TrimSuffix(strings.TrimPrefix(body, "event: message\ndata: "), "\n\n")
			}
			var resp struct {
				Result struct {
					Tools []struct{ Name string } `json:"tools"`
				} `json:"result"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
			var names []string
			for _, tool := range resp.Result.Tools {
				names = append(names, tool.Name)
			}
			assert.Equal(t, tc.want, names, "sse=%v", sse)
		}
	}
}

func TestSessionBinding(t *testing.T) {
	up := &upstream{}
	h := newGuard(t, up, nil)
	sid := initSession(t, h, alice)
	withSID := map[string]string{headerSession: sid}

	tests := []struct {
		name   string
		rq     req
		status int
	}{
		{"owner POST", req{body: callEcho, p: alice, headers: withSID}, 200},
		{"owner with refreshed token", req{body: callEcho, p: aliceAgain, headers: withSID}, 200},
		{"owner GET stream", req{method: http.MethodGet, p: alice, headers: withSID}, 200},
		{"other user POST", req{body: callEcho, p: bob, headers: withSID}, 404},
		{"other user GET", req{method: http.MethodGet, p: bob, headers: withSID}, 404},
		{"other user DELETE", req{method: http.MethodDelete, p: bob, headers: withSID}, 404},
		{"same subject, other issuer", req{body: callEcho, p: mallory, headers: withSID}, 404},
		{"owner on another route", req{body: callEcho, p: alice, headers: withSID, path: "/other/mcp"}, 404},
		{"unknown id", req{body: callEcho, p: alice, headers: map[string]string{headerSession: "session-Z"}}, 404},
		{"two session headers", req{body: callEcho, p: alice}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.calls.Load()
			if tt.status == 0 {
				r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(callEcho))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Add(headerSession, sid)
				r.Header.Add(headerSession, "session-Z")
				r = r.WithContext(authresult.NewContext(r.Context(), alice))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				assert.Equal(t, 400, rec.Code)
				assert.Equal(t, before, up.calls.Load())
				return
			}
			rec := do(t, h, tt.rq)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == 404 {
				assert.Equal(t, before, up.calls.Load(), "the server never sees a foreign or unknown session")
				assert.Equal(t, CodeSessionNotFound, decodeResp(t, rec).Error.Code)
			}
		})
	}

	// Unknown and foreign ids get identical answers: no oracle.
	a := do(t, h, req{body: callEcho, p: bob, headers: withSID})
	b := do(t, h, req{body: callEcho, p: bob, headers: map[string]string{headerSession: "session-Z"}})
	assert.Equal(t, a.Code, b.Code)
	assert.Equal(t, a.Body.String(), b.Body.String())

	// DELETE by the owner ends the session; reuse is then refused.
	rec := do(t, h, req{method: http.MethodDelete, p: alice, headers: withSID})
	assert.Equal(t, 204, rec.Code)
	before := up.calls.Load()
	rec = do(t, h, req{body: callEcho, p: alice, headers: withSID})
	assert.Equal(t, 404, rec.Code)
	assert.Equal(t, before, up.calls.Load())
}

func TestSessionIDCollisionRefused(t *testing.T) {
	// An upstream that hands the same id to two users must not let the
	// second one into the first one's session.
	up := &upstream{sid: "fixed"}
	h := newGuard(t, up, nil)
	initSession(t, h, alice)
	rec := do(t, h, req{body: initBody, p: bob})
	assert.Equal(t, 503, rec.Code)
	assert.Empty(t, rec.Header().Get(headerSession))
	rec = do(t, h, req{body: callEcho, p: bob, headers: map[string]string{headerSession: "fixed"}})
	assert.Equal(t, 404, rec.Code)
}

type failingStore struct{ err error }

func (f failingStore) Bind(context.Context, string, Key) ([]Binding, error) { return nil, f.err }
func (f failingStore) Check(context.Context, string, Key) (bool, error)     { return false, f.err }
func (f failingStore) Delete(context.Context, string) error                 { return f.err }

func TestStoreFailureFailsClosed(t *testing.T) {
	up := &upstream{}
	h := newGuard(t, up, &Options{Store: failingStore{errors.New("redis: connection refused")}})
	rec := do(t, h, req{body: initBody, p: alice})
	assert.Equal(t, 503, rec.Code)
	assert.Empty(t, rec.Header().Get(headerSession), "an unbound session id never reaches the client")
	assert.NotContains(t, rec.Body.String(), "redis")

	require.Eventually(t, func() bool {
		up.mu.Lock()
		defer up.mu.Unlock()
		return up.lastHdr.Get(headerSession) == "session-B" && up.calls.Load() == 2
	}, 5*time.Second, time.Millisecond, "the server's session that could not be bound is ended (DELETE)")

	before := up.calls.Load()
	rec = do(t, h, req{body: callEcho, p: alice, headers: map[string]string{headerSession: "session-B"}})
	assert.Equal(t, 503, rec.Code)
	assert.Equal(t, before, up.calls.Load())
}

func TestModernRevision(t *testing.T) {
	modern := func(extra map[string]string) map[string]string {
		h := map[string]string{headerVersion: "2026-07-28", headerMethod: "tools/call", headerName: "echo"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	tests := []struct {
		name   string
		rq     req
		status int
		code   int
	}{
		{"headers match", req{body: callEcho, headers: modern(nil)}, 200, 0},
		{"base64 name", req{body: callEcho, headers: modern(map[string]string{headerName: "=?base64?ZWNobw==?="})}, 200, 0},
		{"method mismatch", req{body: callEcho, headers: modern(map[string]string{headerMethod: "tools/list"})}, 400, CodeHeaderMismatch},
		{"name mismatch", req{body: callEcho, headers: modern(map[string]string{headerName: "admin_reset"})}, 400, CodeHeaderMismatch},
		{"bad base64 name", req{body: callEcho, headers: modern(map[string]string{headerName: "=?base64?!!?="})}, 400, CodeHeaderMismatch},
		{"base64 of other name", req{body: callEcho, headers: modern(map[string]string{headerName: "=?base64?YWRtaW4=?="})}, 400, CodeHeaderMismatch},
		{"missing method header", req{body: callEcho, headers: map[string]string{headerVersion: "2026-07-28", headerName: "echo"}}, 400, CodeHeaderMismatch},
		{"missing name header", req{body: callEcho, headers: map[string]string{headerVersion: "2026-07-28", headerMethod: "tools/call"}}, 400, CodeHeaderMismatch},
		{"list needs no name", req{body: listBody, headers: map[string]string{headerVersion: "2026-07-28", headerMethod: "tools/list"}}, 200, 0},
		{"batch refused", req{body: `[` + callEcho + `]`, headers: modern(nil)}, 400, jsonrpcerr.CodeInvalidRequest},
		{"GET refused", req{method: http.MethodGet, headers: modern(nil)}, 405, 0},
		{"DELETE refused", req{method: http.MethodDelete, headers: modern(nil)}, 405, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := &upstream{}
			h := newGuard(t, up, nil)
			tt.rq.p = alice
			rec := do(t, h, tt.rq)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status != 200 {
				assert.Zero(t, up.calls.Load())
			}
			if tt.code != 0 {
				assert.Equal(t, tt.code, decodeResp(t, rec).Error.Code)
			}
		})
	}

	// A session id on a session-less request is stripped, so an upstream
	// that ignores the revision cannot be steered into a session.
	up := &upstream{}
	h := newGuard(t, up, nil)
	rec := do(t, h, req{body: callEcho, p: bob, headers: modern(map[string]string{headerSession: "alices-session"})})
	assert.Equal(t, 200, rec.Code)
	assert.Empty(t, up.lastHdr.Get(headerSession))

	// A server that does not know the revision and answers an initialize
	// with a session id hands out an id no binding stands behind: the
	// guard removes it.
	rec = do(t, h, req{body: initBody, p: bob, headers: map[string]string{headerVersion: "2026-07-28", headerMethod: "initialize"}})
	assert.Equal(t, 200, rec.Code)
	assert.Empty(t, rec.Header().Values(headerSession), "no unbound session id reaches the client")
}

func TestFactory(t *testing.T) {
	up := &upstream{}
	tests := []struct {
		name   string
		f      Factory
		status int
	}{
		{"ok", func(*http.Request, *authresult.Principal) (http.Handler, error) { return up, nil }, 200},
		{"unauthenticated", func(*http.Request, *authresult.Principal) (http.Handler, error) {
			return nil, authresult.InvalidToken("tenant token revoked", nil)
		}, 401},
		{"forbidden", func(*http.Request, *authresult.Principal) (http.Handler, error) {
			return nil, authresult.Forbidden("no tenant", nil)
		}, 403},
		{"error whose text says Token", func(*http.Request, *authresult.Principal) (http.Handler, error) {
			return nil, errors.New("Invalid JWT Token: Unauthorized")
		}, 500},
		{"nil handler", func(*http.Request, *authresult.Principal) (http.Handler, error) { return nil, nil }, 500},
		{"panic", func(*http.Request, *authresult.Principal) (http.Handler, error) { panic("db down") }, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewFactory(tt.f, nil)
			require.NoError(t, err)
			rec := do(t, h, req{body: initBody, p: alice})
			assert.Equal(t, tt.status, rec.Code)
			if tt.status == 500 {
				assert.Equal(t, "internal error", decodeResp(t, rec).Error.Message)
			}
			if tt.status != 200 {
				assert.Empty(t, rec.Header().Get(headerSession))
			}
		})
	}
	_, err := NewFactory(nil, nil)
	assert.Error(t, err)
	_, err = New(nil, nil)
	assert.Error(t, err)
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []*Options{
		{MaxBodyBytes: -1},
		{AllowedOrigins: []string{"app.example"}},
		{AllowedOrigins: []string{"https://app.example/path"}},
		{AllowedOrigins: []string{"ftp://app.example"}},
		{Policy: &Policy{Tools: map[string][]string{"x": {"bad scope"}}}},
		{Policy: &Policy{Tools: map[string][]string{"": nil}}},
		{Policy: &Policy{Implies: map[string][]string{"a b": {"c"}}}},
	} {
		_, err := New(&upstream{}, o)
		assert.ErrorIs(t, err, errConfig, "%+v", o)
	}
}

func TestMisconfigurationLoggedOnce(t *testing.T) {
	var logs strings.Builder
	h := newGuard(t, &upstream{}, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 {
		assert.Equal(t, 401, do(t, h, req{body: callEcho}).Code)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "without an authenticated principal"))
}

// TestUnderscoreTwinsRefused: servers that map headers CGI-style read
// Mcp_Session_Id as Mcp-Session-Id, so a twin could carry another user's
// session past the binding check.
func TestUnderscoreTwinsRefused(t *testing.T) {
	for _, name := range []string{"Mcp_Session_Id", "Mcp_session-id", "Mcp_Protocol_Version", "Mcp_Method", "Mcp_Name", "Last_Event_Id", "Authorization_"} {
		up := &upstream{}
		h := newGuard(t, up, nil)
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(callEcho))
		r.Header.Set("Content-Type", "application/json")
		r.Header[name] = []string{"alices-session"}
		r = r.WithContext(authresult.NewContext(r.Context(), bob))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if name == "Authorization_" {
			assert.Equal(t, 200, rec.Code, "not a twin of a guarded header")
			continue
		}
		assert.Equal(t, 400, rec.Code, name)
		assert.Zero(t, up.calls.Load(), name)
	}
}

// encodingUpstream answers tools/list compressed, as an upstream may when
// the client's Accept-Encoding reaches it.
type encodingUpstream struct{ sse bool }

func (e encodingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Encoding", "gzip")
	_, _ = io.WriteString(w, "\x1f\x8b compressed tools/list with admin_reset")
}

func TestEncodedListFailsClosed(t *testing.T) {
	pol := &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}}
	for _, sse := range []bool{false, true} {
		h := newGuard(t, encodingUpstream{sse: sse}, &Options{Policy: pol})
		rec := do(t, h, req{body: listBody, p: alice})
		assert.Equal(t, 500, rec.Code, "sse=%v", sse)
		assert.NotContains(t, rec.Body.String(), "admin_reset")
		assert.Empty(t, rec.Header().Get("Content-Encoding"))
	}
}

// replayUpstream answers a GET with a replayed tools/list response, as an
// SDK with an event store does for Last-Event-ID.
type replayUpstream struct{}

func (replayUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = io.WriteString(w, "id: s_0\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"echo\"},{\"name\":\"admin_reset\"}]}}\n\n")
}

func TestResumedStreamFiltered(t *testing.T) {
	store := NewMemoryStore(nil)
	_, err := store.Bind(context.Background(), "s", keyFor(alice, "/mcp"))
	require.NoError(t, err)
	h := newGuard(t, replayUpstream{}, &Options{Store: store, Policy: &Policy{Tools: map[string][]string{"echo": nil, "admin_reset": {"admin"}}}})
	rec := do(t, h, req{method: http.MethodGet, p: alice, headers: map[string]string{headerSession: "s", "Last-Event-Id": "s_0"}})
	assert.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), `"echo"`)
	assert.NotContains(t, rec.Body.String(), "admin_reset")
}

func TestCallerRequestUntouched(t *testing.T) {
	h := newGuard(t, &upstream{}, nil)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(callEcho))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(headerVersion, "2026-07-28")
	r.Header.Set(headerMethod, "tools/call")
	r.Header.Set(headerName, "echo")
	r.Header.Set(headerSession, "x")
	r = r.WithContext(authresult.NewContext(r.Context(), alice))
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "x", r.Header.Get(headerSession), "the guard strips its copy, not the caller's")
	assert.Equal(t, protocolVersions, protocolVersionList())
	v := protocolVersionList()
	v[0] = "tampered"
	assert.NotEqual(t, "tampered", protocolVersionList()[0])
}
