package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	goodToken = "good-token"
	initBody  = `{"jsonrpc":"2.0","id":"init-1","method":"initialize","params":{}}`
)

var alice = &authresult.Principal{Subject: "alice", Issuer: "https://idp.example", Scopes: []string{"mcp:read"}}

var testOpts = &Options{
	Resource:             "https://mcp.example.com/mcp",
	AuthorizationServers: []string{"https://idp.example"},
	Scopes:               []string{"mcp:read", "mcp:write"},
}

// recorder is a next handler that records how often it ran and with which
// principal.
type recorder struct {
	calls atomic.Int32
	got   *authresult.Principal
	body  string
}

func (h *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	h.got, _ = authresult.FromContext(r.Context())
	b, _ := io.ReadAll(r.Body)
	h.body = string(b)
	w.WriteHeader(http.StatusOK)
}

type errorBody struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func tokenVerifier(ctx context.Context, token string) (*authresult.Principal, error) {
	if token == goodToken {
		return alice, nil
	}
	return nil, authresult.InvalidToken("invalid token", errors.New("signature mismatch"))
}

type softOK struct{}

func (softOK) Authenticated() bool { return true }

func TestAuthenticate(t *testing.T) {
	tests := []struct {
		name      string
		verifier  TokenVerifier
		fn        Func
		method    string
		target    string
		auth      []string
		body      string
		status    int
		errorAttr string // expected error= in the challenge; "-" means no error attribute; "" no check
		wantID    string
		sensitive string // must not appear in the response
		reason    decision.Reason
	}{
		{name: "valid token", reason: decision.ReasonOK, verifier: TokenVerifierFunc(tokenVerifier), auth: []string{"Bearer " + goodToken}, status: 200},
		{name: "no credentials", reason: decision.ReasonNoCredentials, verifier: TokenVerifierFunc(tokenVerifier), status: 401, errorAttr: "-", wantID: `"init-1"`},
		{name: "invalid token", reason: decision.ReasonInvalidToken, verifier: TokenVerifierFunc(tokenVerifier), auth: []string{"Bearer nope"}, status: 401, errorAttr: "invalid_token", wantID: `"init-1"`, sensitive: "signature mismatch"},
		{name: "basic scheme", reason: decision.ReasonNoCredentials, verifier: TokenVerifierFunc(tokenVerifier), auth: []string{"Basic YTpi"}, status: 401, errorAttr: "-"},
		{name: "two headers", reason: decision.ReasonInvalidRequest, verifier: TokenVerifierFunc(tokenVerifier), auth: []string{"Bearer " + goodToken, "Bearer " + goodToken}, status: 400, errorAttr: "invalid_request"},
		{name: "token in query", reason: decision.ReasonInvalidRequest, verifier: TokenVerifierFunc(tokenVerifier), target: "/mcp?access_token=" + goodToken, status: 400, errorAttr: "invalid_request"},
		{name: "token in query and header", reason: decision.ReasonInvalidRequest, verifier: TokenVerifierFunc(tokenVerifier), target: "/mcp?access_token=x", auth: []string{"Bearer " + goodToken}, status: 400, errorAttr: "invalid_request"},
		{name: "malformed bearer", reason: decision.ReasonInvalidRequest, verifier: TokenVerifierFunc(tokenVerifier), auth: []string{"Bearer a b"}, status: 400, errorAttr: "invalid_request"},
		{name: "GET without credentials echoes null", reason: decision.ReasonNoCredentials, verifier: TokenVerifierFunc(tokenVerifier), method: http.MethodGet, status: 401, wantID: "null"},
		{name: "DELETE without credentials", reason: decision.ReasonNoCredentials, verifier: TokenVerifierFunc(tokenVerifier), method: http.MethodDelete, status: 401, wantID: "null"},

		// Verifiers that try to let a request through without a principal.
		{name: "verifier returns nil, nil", reason: decision.ReasonInvalidToken, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { return nil, nil }), auth: []string{"Bearer x"}, status: 401, errorAttr: "invalid_token"},
		{name: "verifier returns principal without subject", reason: decision.ReasonInternal, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { return &authresult.Principal{}, nil }), auth: []string{"Bearer x"}, status: 500},
		{name: "verifier returns principal and error", reason: decision.ReasonInternal, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
			return alice, errors.New("but also failed")
		}), auth: []string{"Bearer x"}, status: 500, sensitive: "but also failed"},
		{name: "verifier plain error with auth words", reason: decision.ReasonInternal, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
			return nil, errors.New("Unauthorized: Invalid JWT Token db=postgres://u:p@h")
		}), auth: []string{"Bearer x"}, status: 500, sensitive: "postgres"},
		{name: "verifier panics", reason: decision.ReasonPanic, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { panic("secret-panic-value") }), auth: []string{"Bearer x"}, status: 500, sensitive: "secret-panic-value"},
		{name: "verifier unavailable", reason: decision.ReasonUnavailable, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
			return nil, authresult.Unavailable("keys unavailable", 0, errors.New("jwks 502"))
		}), auth: []string{"Bearer x"}, status: 503},
		{name: "verifier deadline", reason: decision.ReasonUnavailable, verifier: TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { return nil, context.DeadlineExceeded }), auth: []string{"Bearer x"}, status: 503},

		// The seed's soft failures, through the permissive form.
		{name: "func soft failure map", reason: decision.ReasonInvalidToken, fn: func(*http.Request) (any, error) {
			return map[string]any{"authenticated": false, "error": "Invalid JWT token"}, nil
		}, auth: []string{"Bearer x"}, status: 401, errorAttr: "invalid_token", wantID: `"init-1"`, sensitive: "Invalid JWT"},
		{name: "func soft failure without header", reason: decision.ReasonNoCredentials, fn: func(*http.Request) (any, error) { return map[string]any{"authenticated": false}, nil }, status: 401, errorAttr: "-"},
		{name: "func soft failure struct", reason: decision.ReasonInvalidToken, fn: func(*http.Request) (any, error) { return authresult.Result{Message: "nope"}, nil }, auth: []string{"Bearer x"}, status: 401},
		{name: "func returns string false", reason: decision.ReasonInvalidToken, fn: func(*http.Request) (any, error) { return map[string]any{"authenticated": "false", "sub": "a"}, nil }, auth: []string{"Bearer x"}, status: 401},
		{name: "func returns truthy object without authenticated", reason: decision.ReasonInvalidToken, fn: func(*http.Request) (any, error) { return map[string]any{"session": map[string]any{"userId": "1"}}, nil }, auth: []string{"Bearer x"}, status: 401},
		{name: "func returns nil", reason: decision.ReasonInvalidToken, fn: func(*http.Request) (any, error) { return nil, nil }, auth: []string{"Bearer x"}, status: 401},
		{name: "func returns true", reason: decision.ReasonInternal, fn: func(*http.Request) (any, error) { return true, nil }, auth: []string{"Bearer x"}, status: 500},
		{name: "func returns Authenticated() without principal", reason: decision.ReasonInternal, fn: func(*http.Request) (any, error) { return softOK{}, nil }, auth: []string{"Bearer x"}, status: 500},
		{name: "func throws", reason: decision.ReasonInternal, fn: func(*http.Request) (any, error) { return nil, errors.New("Invalid JWT") }, auth: []string{"Bearer x"}, status: 500, sensitive: "Invalid JWT"},
		{name: "func throws typed", reason: decision.ReasonInvalidToken, fn: func(*http.Request) (any, error) { return nil, authresult.InvalidToken("token expired", nil) }, auth: []string{"Bearer x"}, status: 401, errorAttr: "invalid_token"},
		{name: "func panics", reason: decision.ReasonPanic, fn: func(*http.Request) (any, error) { panic(errors.New("boom")) }, auth: []string{"Bearer x"}, status: 500},
		{name: "func ok", reason: decision.ReasonOK, fn: func(*http.Request) (any, error) { return map[string]any{"authenticated": true, "sub": "alice"}, nil }, status: 200},
		{name: "func not called with token in query", reason: decision.ReasonInvalidRequest, fn: func(*http.Request) (any, error) { return alice, nil }, target: "/mcp?access_token=x", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			opts := *testOpts
			opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var decisions []decision.Decision
			opts.OnDecision = func(_ *http.Request, d decision.Decision) { decisions = append(decisions, d) }
			var a *Authenticator
			var err error
			if tt.fn != nil {
				a, err = NewFunc(tt.fn, &opts)
			} else {
				a, err = New(tt.verifier, &opts)
			}
			require.NoError(t, err)
			next := &recorder{}
			h := a.Handler(next)

			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = "/mcp"
			}
			body := initBody
			if method != http.MethodPost {
				body = ""
			}
			req := httptest.NewRequest(method, target, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for _, v := range tt.auth {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			assert.Equal(t, tt.status, rec.Code)
			// Every outcome is reported once, with its layer and reason.
			require.Len(t, decisions, 1)
			d := decisions[0]
			assert.Equal(t, decision.LayerAuthentication, d.Layer)
			assert.Equal(t, tt.reason, d.Reason)
			assert.True(t, d.Reason.Valid())
			if tt.status == 200 {
				assert.Equal(t, decision.Allowed, d.Outcome)
				assert.Equal(t, "alice", d.Subject)
				assert.NotZero(t, d.Principal)
				assert.Nil(t, d.Err)
			} else {
				assert.Equal(t, tt.status, d.Status)
				assert.Equal(t, decision.OutcomeOf(tt.status), d.Outcome)
				assert.Error(t, d.Err)
				assert.Zero(t, d.Principal)
			}
			if tt.status == 200 {
				assert.EqualValues(t, 1, next.calls.Load(), "next runs exactly once")
				require.NotNil(t, next.got)
				assert.Equal(t, "alice", next.got.Subject)
				assert.Equal(t, body, next.body, "next reads the body untouched")
				return
			}
			assert.Zero(t, next.calls.Load(), "next never runs on failure")
			var eb errorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &eb), rec.Body.String())
			assert.Equal(t, "2.0", eb.JSONRPC)
			if tt.wantID != "" {
				assert.Equal(t, tt.wantID, string(eb.ID))
			}
			challenge := rec.Header().Get("WWW-Authenticate")
			switch tt.errorAttr {
			case "":
			case "-":
				assert.NotContains(t, challenge, "error=")
				assert.Contains(t, challenge, `resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`)
			default:
				assert.Contains(t, challenge, `error="`+tt.errorAttr+`"`)
			}
			if tt.status == 401 {
				assert.True(t, strings.HasPrefix(challenge, "Bearer"), "every 401 has a Bearer challenge")
				assert.Contains(t, challenge, "resource_metadata=")
			}
			if tt.sensitive != "" {
				assert.NotContains(t, rec.Body.String(), tt.sensitive)
				assert.NotContains(t, challenge, tt.sensitive)
			}
			for _, v := range tt.auth {
				if tok, ok := strings.CutPrefix(v, "Bearer "); ok && len(tok) > 2 {
					assert.NotContains(t, logs.String(), tok, "tokens are never logged")
				}
			}
		})
	}
}

func TestAuthenticatePanicIsLogged(t *testing.T) {
	var logs bytes.Buffer
	opts := &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	a, err := New(TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { panic("kaboom") }), opts)
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(initBody))
	req.Header.Set("Authorization", "Bearer x")
	p, err := a.Check(req)
	assert.Nil(t, p)
	assert.ErrorIs(t, err, ErrPanic)
	assert.ErrorIs(t, err, authresult.ErrInternal)
	assert.Contains(t, logs.String(), "kaboom")
	assert.Contains(t, logs.String(), "stack=")
}

func TestAuthenticateAbortHandlerPanicPropagates(t *testing.T) {
	a, err := New(TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) { panic(http.ErrAbortHandler) }), nil)
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	req.Header.Set("Authorization", "Bearer x")
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { a.Handler(&recorder{}).ServeHTTP(httptest.NewRecorder(), req) })
}

func TestAuthenticateClientGone(t *testing.T) {
	var got []decision.Decision
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(TokenVerifierFunc(func(ctx context.Context, _ string) (*authresult.Principal, error) {
		cancel() // the client disconnects while the verifier works
		return alice, nil
	}), &Options{OnDecision: func(_ *http.Request, d decision.Decision) { got = append(got, d) }})
	require.NoError(t, err)
	next := &recorder{}
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(initBody)).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	a.Handler(next).ServeHTTP(rec, req)
	assert.Zero(t, next.calls.Load(), "no further work for a client that went away")
	assert.Empty(t, rec.Body.String())
	require.Len(t, got, 1, "still reported, so that floods that disconnect show")
	assert.Equal(t, decision.ReasonOK, got[0].Reason)
	assert.Zero(t, got[0].Status, "nothing was sent")
}

func TestAuthenticateHidesOuterPrincipal(t *testing.T) {
	// A principal planted by an earlier layer must not survive a failed
	// authentication.
	a, err := New(TokenVerifierFunc(tokenVerifier), nil)
	require.NoError(t, err)
	next := &recorder{}
	req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	req = req.WithContext(authresult.NewContext(req.Context(), alice))
	req.Header.Set("Authorization", "Bearer wrong")
	rec := httptest.NewRecorder()
	a.Handler(next).ServeHTTP(rec, req)
	assert.Equal(t, 401, rec.Code)
	assert.Zero(t, next.calls.Load())
}

func TestAuthenticateDecisionHook(t *testing.T) {
	var got []decision.Decision
	opts := &Options{OnDecision: func(_ *http.Request, d decision.Decision) { got = append(got, d) }}
	a, err := New(TokenVerifierFunc(func(ctx context.Context, token string) (*authresult.Principal, error) {
		if token == "reader" {
			return nil, authresult.InsufficientScope("needs admin", "mcp:admin")
		}
		return tokenVerifier(ctx, token)
	}), opts)
	require.NoError(t, err)
	h := a.Handler(&recorder{})
	for _, auth := range []string{"Bearer " + goodToken, "", "Bearer bad", "Bearer reader"} {
		req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Len(t, got, 4)
	assert.Equal(t, decision.ReasonOK, got[0].Reason)
	assert.Equal(t, "alice", got[0].Subject)
	assert.Equal(t, decision.ReasonNoCredentials, got[1].Reason)
	assert.Equal(t, 401, got[1].Status)
	assert.Equal(t, decision.ReasonInvalidToken, got[2].Reason)
	assert.Empty(t, got[2].Subject)
	assert.Equal(t, decision.ReasonInsufficientScope, got[3].Reason)
	assert.Equal(t, []string{"mcp:admin"}, got[3].Scopes)
	for _, d := range got {
		assert.Positive(t, d.Latency)
		assert.NotContains(t, fmt.Sprint(d), goodToken)
	}
}

// TestChallengeScopes: the first 401 asks for the least a client needs,
// while the metadata still lists every scope and a 403 names what the
// operation needs.
func TestChallengeScopes(t *testing.T) {
	v := TokenVerifierFunc(tokenVerifier)
	a, err := New(v, &Options{
		Resource: "https://m.example/mcp", AuthorizationServers: []string{"https://idp.example"},
		Scopes: []string{"mcp:read", "mcp:admin"}, ChallengeScopes: []string{"mcp:read"},
	})
	require.NoError(t, err)
	h := a.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `scope="mcp:read"`)
	assert.NotContains(t, rec.Header().Get("WWW-Authenticate"), "mcp:admin")

	meta, err := a.MetadataHandler()
	require.NoError(t, err)
	rec = httptest.NewRecorder()
	meta.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil))
	assert.Contains(t, rec.Body.String(), `"scopes_supported":["mcp:read","mcp:admin"]`)

	admin, err := a.RequireScopes("mcp:admin")
	require.NoError(t, err)
	rec = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	admin(http.NotFoundHandler()).ServeHTTP(rec, r.WithContext(authresult.NewContext(r.Context(), alice)))
	require.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `scope="mcp:admin"`)

	// Without ChallengeScopes, the challenge names every scope.
	b, err := New(v, &Options{Scopes: []string{"mcp:read", "mcp:admin"}})
	require.NoError(t, err)
	rec = httptest.NewRecorder()
	b.Handler(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", nil))
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `scope="mcp:read mcp:admin"`)
}

func TestNewValidation(t *testing.T) {
	v := TokenVerifierFunc(tokenVerifier)
	tests := []struct {
		name string
		opts *Options
	}{
		{"negative body cap", &Options{MaxPeekBytes: -1}},
		{"negative token cap", &Options{MaxTokenBytes: -1}},
		{"bad scope", &Options{Scopes: []string{"a b"}}},
		{"empty scope", &Options{Scopes: []string{""}}},
		{"challenge scope not offered", &Options{Scopes: []string{"mcp:read"}, ChallengeScopes: []string{"mcp:admin"}}},
		{"bad realm", &Options{Realm: "a\nb"}},
		{"resource without servers", &Options{Resource: "https://m.example/mcp"}},
		{"servers without resource", &Options{AuthorizationServers: []string{"https://idp"}}},
		{"relative resource", &Options{Resource: "/mcp", AuthorizationServers: []string{"https://idp"}}},
		{"http resource", &Options{Resource: "http://m.example/mcp", AuthorizationServers: []string{"https://idp"}}},
		{"resource with fragment", &Options{Resource: "https://m.example/mcp#x", AuthorizationServers: []string{"https://idp"}}},
		{"resource with user", &Options{Resource: "https://u:p@m.example/mcp", AuthorizationServers: []string{"https://idp"}}},
		{"bad server", &Options{Resource: "https://m.example/mcp", AuthorizationServers: []string{"idp"}}},
		{"bad metadata url", &Options{Resource: "https://m.example/mcp", AuthorizationServers: []string{"https://idp"}, ResourceMetadataURL: "ftp://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(v, tt.opts)
			assert.ErrorIs(t, err, errConfig)
		})
	}
	_, err := New(nil, nil)
	assert.Error(t, err)
	_, err = New(TokenVerifierFunc(nil), nil)
	assert.Error(t, err)
	_, err = NewFunc(nil, nil)
	assert.Error(t, err)
	_, err = New(v, &Options{Resource: "http://127.0.0.1:8080/mcp", AuthorizationServers: []string{"http://localhost:9000"}})
	assert.NoError(t, err, "http is fine on loopback")
	mw, err := Authenticate(v, nil)
	require.NoError(t, err)
	assert.NotNil(t, mw)
	_, err = Authenticate(nil, nil)
	assert.Error(t, err)
	a, err := New(v, nil)
	require.NoError(t, err)
	assert.Panics(t, func() { a.Handler(nil) })
}
