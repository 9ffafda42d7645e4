package authresult

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type softOutcome struct {
	ok bool
	p  *Principal
}

func (s *softOutcome) Authenticated() bool   { return s.ok }
func (s *softOutcome) Principal() *Principal { return s.p }

type onlyAuthenticated bool

func (o onlyAuthenticated) Authenticated() bool { return bool(o) }

type myErr struct{}

func (*myErr) Error() string { return "my error" }

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	return m
}

func TestNormalize(t *testing.T) {
	alice := &Principal{Subject: "alice", Issuer: "https://idp.example"}
	var typedNilPrincipal *Principal
	var typedNilResult *Result
	var typedNilSoft *softOutcome
	var typedNilErr *myErr
	var nilMap map[string]any
	var nilFunc func()

	ctxCanceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		v    any
		err  error
		want Kind // 0 means success
		sub  string
	}{
		{name: "nil", v: nil, want: KindUnauthenticated},
		{name: "typed nil principal", v: typedNilPrincipal, want: KindUnauthenticated},
		{name: "typed nil result", v: typedNilResult, want: KindUnauthenticated},
		{name: "typed nil Authenticatable", v: typedNilSoft, want: KindUnauthenticated},
		{name: "typed nil map", v: nilMap, want: KindUnauthenticated},
		{name: "typed nil func", v: nilFunc, want: KindUnauthenticated},
		{name: "typed nil error as value", v: typedNilErr, want: KindUnauthenticated},
		{name: "principal", v: alice, sub: "alice"},
		{name: "principal value", v: *alice, sub: "alice"},
		{name: "principal without subject", v: &Principal{Issuer: "x"}, want: KindInternal},
		{name: "principal value without subject", v: Principal{}, want: KindInternal},
		{name: "result false without message", v: Result{}, want: KindUnauthenticated},
		{name: "result false with message", v: Result{Message: "Invalid JWT"}, want: KindUnauthenticated},
		{name: "result false with principal", v: Result{Principal: alice}, want: KindUnauthenticated},
		{name: "result pointer false", v: &Result{Message: "Invalid JWT"}, want: KindUnauthenticated},
		{name: "result true", v: Result{Authenticated: true, Principal: alice}, sub: "alice"},
		{name: "result pointer true", v: &Result{Authenticated: true, Principal: alice}, sub: "alice"},
		{name: "result true without principal", v: Result{Authenticated: true}, want: KindInternal},
		{name: "result true without subject", v: &Result{Authenticated: true, Principal: &Principal{}}, want: KindInternal},
		{name: "json authenticated false", v: decode(t, `{"authenticated":false,"error":"Invalid JWT"}`), want: KindUnauthenticated},
		{name: "json authenticated string false", v: decode(t, `{"authenticated":"false","sub":"alice"}`), want: KindUnauthenticated},
		{name: "json authenticated string true", v: decode(t, `{"authenticated":"true","sub":"alice"}`), want: KindUnauthenticated},
		{name: "json authenticated 0", v: decode(t, `{"authenticated":0,"sub":"alice"}`), want: KindUnauthenticated},
		{name: "json authenticated 1", v: decode(t, `{"authenticated":1,"sub":"alice"}`), want: KindUnauthenticated},
		{name: "json authenticated null", v: decode(t, `{"authenticated":null,"sub":"alice"}`), want: KindUnauthenticated},
		{name: "json authenticated missing", v: decode(t, `{"sub":"alice","error":"x"}`), want: KindUnauthenticated},
		{name: "json authenticated object", v: decode(t, `{"authenticated":{},"sub":"alice"}`), want: KindUnauthenticated},
		{name: "json empty object", v: decode(t, `{}`), want: KindUnauthenticated},
		{name: "json true without subject", v: decode(t, `{"authenticated":true}`), want: KindInternal},
		{name: "json true with empty subject", v: decode(t, `{"authenticated":true,"sub":""}`), want: KindInternal},
		{name: "json true with non-string subject", v: decode(t, `{"authenticated":true,"sub":42}`), want: KindInternal},
		{name: "json true", v: decode(t, `{"authenticated":true,"sub":"alice","scope":"read write"}`), sub: "alice"},
		{name: "json true subject key", v: decode(t, `{"authenticated":true,"subject":"alice"}`), sub: "alice"},
		{name: "raw json true", v: json.RawMessage(`{"authenticated":true,"sub":"alice"}`), sub: "alice"},
		{name: "raw json false", v: json.RawMessage(`{"authenticated":false,"sub":"alice"}`), want: KindUnauthenticated},
		{name: "raw json null", v: json.RawMessage(`null`), want: KindInternal},
		{name: "raw json array", v: json.RawMessage(`[{"authenticated":true,"sub":"alice"}]`), want: KindInternal},
		{name: "raw json true literal", v: json.RawMessage(`true`), want: KindInternal},
		{name: "raw json trailing object", v: json.RawMessage(`{"authenticated":false} {"authenticated":true,"sub":"a"}`), want: KindInternal},
		{name: "raw json invalid", v: json.RawMessage(`{"authenticated":true,`), want: KindInternal},
		{name: "raw json empty", v: json.RawMessage(nil), want: KindInternal},
		{name: "Authenticated() false", v: &softOutcome{ok: false, p: alice}, want: KindUnauthenticated},
		{name: "Authenticated() true", v: &softOutcome{ok: true, p: alice}, sub: "alice"},
		{name: "Authenticated() true nil principal", v: &softOutcome{ok: true}, want: KindInternal},
		{name: "Authenticated() true without Principal method", v: onlyAuthenticated(true), want: KindInternal},
		{name: "Authenticated() false without Principal method", v: onlyAuthenticated(false), want: KindUnauthenticated},
		{name: "bool false", v: false, want: KindUnauthenticated},
		{name: "bool true", v: true, want: KindInternal},
		{name: "error wins over principal", v: alice, err: errors.New("boom"), want: KindInternal},
		{name: "typed error wins over principal", v: alice, err: InvalidToken("token expired", nil), want: KindUnauthenticated},
		{name: "typed error wins over result true", v: Result{Authenticated: true, Principal: alice}, err: InsufficientScope("more", "admin"), want: KindForbidden},
		{name: "wrapped typed error", err: fmt.Errorf("verify: %w", InvalidRequest("bad header", nil)), want: KindInvalidRequest},
		{name: "joined errors", err: errors.Join(io.EOF, Unavailable("jwks down", 0, nil)), want: KindUnavailable},
		{name: "sentinel", err: ErrForbidden, want: KindForbidden},
		{name: "error with unknown kind", err: &Error{Kind: 99}, want: KindInternal},
		{name: "error with zero kind", err: &Error{}, want: KindInternal},
		{name: "typed nil *Error as error", err: (*Error)(nil), want: KindUnauthenticated},
		{name: "typed nil error", err: typedNilErr, want: KindUnauthenticated},
		{name: "error as value", v: InvalidToken("x", nil), want: KindUnauthenticated},
		{name: "plain error as value", v: io.EOF, want: KindInternal},
		{name: "context canceled", err: context.Canceled, want: KindUnavailable},
		{name: "context deadline", err: fmt.Errorf("jwks: %w", context.DeadlineExceeded), want: KindUnavailable},
		{name: "context cause", err: ctxCanceled.Err(), want: KindUnavailable},
		{name: "plain error", err: errors.New("database down"), want: KindInternal},
		{name: "unknown type string", v: "alice", want: KindInternal},
		{name: "unknown type int", v: 1, want: KindInternal},
		{name: "unknown type struct", v: struct{ Authenticated bool }{true}, want: KindInternal},
		{name: "map of other type", v: map[string]bool{"authenticated": true}, want: KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Normalize(tt.v, tt.err)
			if tt.want == 0 {
				require.NoError(t, err)
				require.NotNil(t, p)
				assert.Equal(t, tt.sub, p.Subject)
				assert.True(t, p.Valid())
				return
			}
			require.Error(t, err)
			assert.Nil(t, p, "a failure never carries a principal")
			e, ok := errors.AsType[*Error](err)
			require.True(t, ok, "every failure is a typed *Error")
			assert.Equal(t, tt.want, e.Kind)
			assert.Equal(t, tt.want.Status(), e.Status())
			assert.NotEmpty(t, e.ClientMessage(), "a client-safe message is always set")
			if tt.err != nil && !isNil(tt.err) {
				assert.ErrorIs(t, err, tt.err, "the original error stays in the chain")
			}
		})
	}
}

// TestNormalizeSoftMessageNotClientVisible checks that messages from soft
// failures are kept for logs but never become the client description.
func TestNormalizeSoftMessageNotClientVisible(t *testing.T) {
	for _, v := range []any{
		Result{Message: "secret-db-host:5432 refused"},
		map[string]any{"authenticated": false, "error": "secret-db-host:5432 refused"},
	} {
		_, err := Normalize(v, nil)
		e := As(err)
		assert.NotContains(t, e.Description, "secret")
		assert.Contains(t, err.Error(), "secret-db-host", "kept for logs")
	}
}

func TestNormalizeMapPrincipal(t *testing.T) {
	p, err := Normalize(decode(t, `{"authenticated":true,"sub":"alice","iss":"https://idp","azp":"app",
		"aud":["https://mcp.example","",7],"scope":"read  write"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, "https://idp", p.Issuer)
	assert.Equal(t, "app", p.ClientID)
	assert.Equal(t, []string{"https://mcp.example"}, p.Audience)
	assert.Equal(t, []string{"read", "write"}, p.Scopes)

	p, err = Normalize(decode(t, `{"authenticated":true,"subject":"bob","issuer":"i","aud":"a","scopes":["x"]}`), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, p.Audience)
	assert.Equal(t, []string{"x"}, p.Scopes)
	assert.Equal(t, "i", p.Issuer)
}
