package decision

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

func TestReasonOf(t *testing.T) {
	tests := []struct {
		err  *authresult.Error
		want Reason
	}{
		{nil, ReasonOK},
		{authresult.NoCredentials(), ReasonNoCredentials},
		{authresult.InvalidToken("expired", nil), ReasonInvalidToken},
		{authresult.InsufficientScope("needs admin", "admin"), ReasonInsufficientScope},
		{authresult.Forbidden("no", nil), ReasonForbidden},
		{authresult.InvalidRequest("two headers", nil), ReasonInvalidRequest},
		{authresult.Unavailable("jwks down", 0, nil), ReasonUnavailable},
		{authresult.Internal(errors.New("Invalid JWT Token")), ReasonInternal},
		{&authresult.Error{}, ReasonInternal},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ReasonOf(tt.err), "%v", tt.err)
	}
}

func TestReasonsClosedSet(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		assert.False(t, seen[r], "%s listed twice", r)
		seen[r] = true
		assert.True(t, r.Valid())
		assert.Regexp(t, `^[a-z_]+$`, string(r), "a metrics label value and a log value as is")
	}
	assert.False(t, Reason("Invalid JWT Token").Valid())
	assert.False(t, Reason("").Valid())
	r := Reasons()
	r[0] = "mutated"
	assert.Equal(t, ReasonOK, Reasons()[0], "Reasons returns a copy")
}

func TestOutcomeOf(t *testing.T) {
	for status, want := range map[int]Outcome{400: Refused, 401: Refused, 429: Refused, 500: Failed, 502: Failed, 503: Failed} {
		assert.Equal(t, want, OutcomeOf(status), "%d", status)
	}
}

func TestHashSession(t *testing.T) {
	assert.Empty(t, HashSession(""))
	h := HashSession("3f2a-secret-session")
	assert.Len(t, h, 32)
	assert.Equal(t, h, HashSession("3f2a-secret-session"), "stable across records and replicas")
	assert.NotEqual(t, h, HashSession("3f2a-secret-sessioN"))
	assert.NotContains(t, h, "secret")
}

func TestHooks(t *testing.T) {
	assert.Nil(t, Hooks(), "no hook keeps the fast path")
	assert.Nil(t, Hooks(nil, nil))
	var calls []string
	a := func(*http.Request, Decision) { calls = append(calls, "a") }
	b := func(*http.Request, Decision) { calls = append(calls, "b") }
	Hooks(nil, a)(nil, Decision{})
	assert.Equal(t, []string{"a"}, calls)
	calls = nil
	Hooks(a, nil, b)(nil, Decision{})
	assert.Equal(t, []string{"a", "b"}, calls)
}

func TestWithPrincipal(t *testing.T) {
	var d Decision
	d.WithPrincipal(nil)
	assert.Zero(t, d.Principal)
	d.WithPrincipal(&authresult.Principal{})
	assert.Zero(t, d.Principal, "an invalid principal is nobody")
	p := &authresult.Principal{Subject: "alice", Issuer: "https://idp", Claims: map[string]any{"email": "a@x"}}
	d.WithPrincipal(p)
	assert.Equal(t, p.BindingKey(), d.Principal)
	assert.Equal(t, "alice", d.Subject)
}

// TestAuditLog: one record per request (the guard's, or the refusal of
// the layer that stopped it), at a level by outcome, with the stable
// attribute names and nothing secret.
func TestAuditLog(t *testing.T) {
	var buf bytes.Buffer
	hook := AuditLog(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	p := &authresult.Principal{Subject: "alice", Issuer: "https://idp"}
	tests := []struct {
		d     Decision
		level string // "" when not logged
	}{
		{Decision{Layer: LayerAuthentication, Outcome: Allowed, Reason: ReasonOK}, ""},
		{Decision{Layer: LayerProxy, Outcome: Allowed, Reason: ReasonOK, Status: 200}, ""},
		{Decision{Layer: LayerGuard, Outcome: Allowed, Reason: ReasonOK, Status: 200, Method: "tools/call", Tool: "echo", Session: HashSession("sid-secret")}, "INFO"},
		{Decision{Layer: LayerAuthentication, Outcome: Refused, Reason: ReasonInvalidToken, Status: 401, Err: errors.New("signature mismatch")}, "INFO"},
		{Decision{Layer: LayerGuard, Outcome: Refused, Reason: ReasonInsufficientScope, Status: 403, Tool: "admin_reset", Scopes: []string{"admin"}}, "INFO"},
		{Decision{Layer: LayerAuthentication, Outcome: Failed, Reason: ReasonUnavailable, Status: 503}, "WARN"},
		{Decision{Layer: LayerProxy, Outcome: Failed, Reason: ReasonUpstream, Status: 502}, "ERROR"},
	}
	for _, tt := range tests {
		buf.Reset()
		d := tt.d
		d.WithPrincipal(p)
		d.Latency = 1500 * time.Microsecond
		hook(r, d)
		if tt.level == "" {
			assert.Empty(t, buf.String(), "%+v", tt.d)
			continue
		}
		line := buf.String()
		assert.Contains(t, line, `"level":"`+tt.level+`"`)
		assert.Contains(t, line, `"msg":"mcpauth: decision"`)
		assert.Contains(t, line, `"layer":"`+string(d.Layer)+`"`)
		assert.Contains(t, line, `"reason":"`+string(d.Reason)+`"`)
		assert.Contains(t, line, `"sub":"alice"`)
		assert.Contains(t, line, `"principal":"`+p.BindingKey().String()+`"`)
		if d.Tool != "" {
			assert.Contains(t, line, `"tool":"`+d.Tool+`"`)
		}
		if d.Err != nil {
			assert.Contains(t, line, `"error":"`)
		}
		assert.NotContains(t, line, "sid-secret")
		assert.Equal(t, 1, strings.Count(line, "\n"), "one record")
	}
	assert.Nil(t, AuditLog(nil))

	quiet := AuditLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	buf.Reset()
	quiet(r, Decision{Layer: LayerGuard, Outcome: Allowed, Reason: ReasonOK})
	assert.Empty(t, buf.String(), "audit records are Info: off at warn")
}

func TestLogValue(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	l.Info("x", "decision", Decision{Layer: LayerGuard, Outcome: Refused, Reason: ReasonOrigin, Status: 403})
	assert.Contains(t, buf.String(), "decision.layer=guard decision.outcome=refused decision.reason=origin_not_allowed decision.status=403")
}

func TestDecisionHasNoSecretFields(t *testing.T) {
	// A record can only carry what Decision has: no token, no claims, no
	// session id. This guards the struct against growing one.
	fields := []string{"Layer", "Outcome", "Reason", "Status", "Method", "Tool", "Calls", "Scopes", "Principal", "Subject", "Session", "Latency", "Err"}
	typ := reflect.TypeFor[Decision]()
	require.Equal(t, len(fields), typ.NumField(), "a new field must be reviewed here")
	for i, f := range fields {
		assert.Equal(t, f, typ.Field(i).Name)
	}
}

// TestWithCallBounded: what a request names is bounded before it reaches
// a log record or a span, and never cut inside a character.
func TestWithCallBounded(t *testing.T) {
	var d Decision
	d.WithCall("tools/call", "echo")
	assert.Equal(t, "tools/call", d.Method)
	assert.Equal(t, "echo", d.Tool)
	long := strings.Repeat("é", 4<<20)
	d.WithCall(long, strings.Repeat("a", MaxNameBytes+1))
	assert.LessOrEqual(t, len(d.Method), MaxNameBytes)
	assert.LessOrEqual(t, len(d.Tool), MaxNameBytes)
	assert.True(t, utf8.ValidString(d.Method))
	assert.True(t, strings.HasSuffix(d.Tool, "…"))
	d.WithCall("", strings.Repeat("a", MaxNameBytes))
	assert.Len(t, d.Tool, MaxNameBytes, "a name that fits is kept whole")
}

// TestAuditLogBounds: a batch shows every call; an error text, which can
// quote what a request sent, is cut.
func TestAuditLogBounds(t *testing.T) {
	var buf bytes.Buffer
	hook := AuditLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	d := Decision{Layer: LayerGuard, Outcome: Allowed, Reason: ReasonOK, Method: "ping"}
	d.AddCall("ping", "")
	d.AddCall("tools/call", "admin_reset")
	for range MaxCalls + 5 {
		d.AddCall("tools/call", "echo")
	}
	assert.Len(t, d.Calls, MaxCalls)
	d.Err = errors.New("mcphandler: tool " + strings.Repeat("x", 1<<20) + " is not declared")
	hook(httptest.NewRequest(http.MethodPost, "/mcp", nil), d)
	assert.Contains(t, buf.String(), `"calls":["ping","tools/call admin_reset","tools/call echo"`)
	assert.Less(t, buf.Len(), 4096, "the record is bounded whatever the request named")
}

func TestWithFailure(t *testing.T) {
	var d Decision
	err := authresult.InsufficientScope("needs admin", "admin")
	d.WithFailure(403, err)
	assert.Equal(t, Decision{Outcome: Refused, Reason: ReasonInsufficientScope, Scopes: []string{"admin"}, Status: 403, Err: err}, d)
	d.WithFailure(500, errors.New("Invalid JWT Token"))
	assert.Equal(t, Failed, d.Outcome)
	assert.Equal(t, ReasonInternal, d.Reason, "by type, not by text")
}
