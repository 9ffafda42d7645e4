package introspect

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyAccepts(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token()
	p, err := e.verify(tok)
	require.NoError(t, err)
	assert.Equal(t, "alice", p.Subject)
	assert.Equal(t, testIss, p.Issuer)
	assert.Equal(t, []string{testAud}, p.Audience)
	assert.Equal(t, []string{"read", "write"}, p.Scopes)
	assert.Equal(t, "cli", p.ClientID)
	assert.Equal(t, t0.Add(time.Hour), p.Expiry)
	assert.Equal(t, "alice@example.com", p.Claims["username"])
	assert.Equal(t, true, p.Claims["active"], "Claims is the whole response")
	assert.True(t, p.Valid())
}

// TestVerifyResponses is the table of endpoint answers: each is accepted,
// refused as the token's fault (401 invalid_token), or an outage (503 with
// Retry-After), with its sentinel cause.
func TestVerifyResponses(t *testing.T) {
	big := `{"active":true,"pad":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, tc := range []struct {
		name   string
		status int    // default 200
		body   string // default: activeBody()
		kind   authresult.Kind
		cause  error
		desc   string
	}{
		{name: "active true", body: activeBody()},
		{name: "active string true", body: activeBody(set("active", "true")), kind: authresult.KindUnauthenticated, cause: ErrInactive, desc: "token inactive"},
		{name: "active 1", body: activeBody(set("active", 1)), kind: authresult.KindUnauthenticated, cause: ErrInactive},
		{name: "active null", body: activeBody(set("active", nil)), kind: authresult.KindUnauthenticated, cause: ErrInactive},
		{name: "active object", body: activeBody(set("active", map[string]any{"v": true})), kind: authresult.KindUnauthenticated, cause: ErrInactive},
		{name: "active missing", body: activeBody(del("active")), kind: authresult.KindUnauthenticated, cause: ErrInactive},
		{name: "active false", body: `{"active":false}`, kind: authresult.KindUnauthenticated, cause: ErrInactive},
		{name: "Active in another case", body: activeBody(del("active"), set("Active", true)), kind: authresult.KindUnauthenticated, cause: ErrInactive},
		{name: "duplicate active", body: `{"active":false,"sub":"alice","active":true}`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "duplicate active both true", body: `{"active":true,"active":true,"sub":"alice","iss":"` + testIss + `","aud":"` + testAud + `"}`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "escaped duplicate", body: `{"active":false,"\u0061ctive":true,"sub":"alice"}`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "escaped duplicate sub", body: strings.Replace(activeBody(), `{`, `{"s\u0075b":"admin",`, 1), kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "escaped duplicate of escaped", body: `{"\u0061ctive":false,"a\u0063tive":true}`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "duplicate empty name", body: strings.Replace(activeBody(), `{`, `{"":1,"":2,`, 1), kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "surrogates that decode alike", body: strings.Replace(activeBody(), `{`, `{"\ud800":1,"\udfff":2,`, 1), kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "escaped active alone", body: strings.Replace(activeBody(del("active")), `{`, `{"\u0061ctive":true,`, 1)},

		{name: "exp past", body: activeBody(set("exp", t0.Add(-time.Hour).Unix())), kind: authresult.KindUnauthenticated, cause: ErrExpired, desc: "token expired"},
		{name: "exp past within leeway", body: activeBody(set("exp", t0.Add(-30*time.Second).Unix()))},
		{name: "exp now plus leeway", body: activeBody(set("exp", t0.Add(-time.Minute).Unix())), kind: authresult.KindUnauthenticated, cause: ErrExpired},
		{name: "exp missing", body: activeBody(del("exp"))},
		{name: "exp string", body: activeBody(set("exp", "9999999999")), kind: authresult.KindUnauthenticated, cause: ErrClaim, desc: "invalid claims"},
		{name: "exp negative", body: activeBody(set("exp", -1)), kind: authresult.KindUnauthenticated, cause: ErrClaim},
		{name: "exp huge", body: activeBody(set("exp", 1e300)), kind: authresult.KindUnauthenticated, cause: ErrClaim},
		{name: "exp beyond float64", body: strings.Replace(activeBody(del("exp")), `{`, `{"exp":1e999,`, 1), kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "nbf future", body: activeBody(set("nbf", t0.Add(time.Hour).Unix())), kind: authresult.KindUnauthenticated, cause: ErrNotYetValid, desc: "token not yet valid"},
		{name: "nbf future within leeway", body: activeBody(set("nbf", t0.Add(30*time.Second).Unix()))},
		{name: "iat future beyond leeway", body: activeBody(set("iat", t0.Add(2*time.Minute).Unix())), kind: authresult.KindUnauthenticated, cause: ErrIssuedInFuture, desc: "token issued in the future"},
		{name: "iat future within leeway", body: activeBody(set("iat", t0.Add(30*time.Second).Unix()))},
		{name: "iat string", body: activeBody(set("iat", "now")), kind: authresult.KindUnauthenticated, cause: ErrClaim},

		{name: "iss other", body: activeBody(set("iss", "https://evil.example")), kind: authresult.KindUnauthenticated, cause: ErrIssuer, desc: "issuer not accepted"},
		{name: "iss with trailing slash", body: activeBody(set("iss", testIss+"/")), kind: authresult.KindUnauthenticated, cause: ErrIssuer},
		{name: "iss missing", body: activeBody(del("iss")), kind: authresult.KindUnauthenticated, cause: ErrIssuer},
		{name: "iss empty", body: activeBody(set("iss", "")), kind: authresult.KindUnauthenticated, cause: ErrIssuer},
		{name: "iss array", body: activeBody(set("iss", []string{testIss})), kind: authresult.KindUnauthenticated, cause: ErrIssuer},

		{name: "aud other resource", body: activeBody(set("aud", "https://other.example/mcp")), kind: authresult.KindUnauthenticated, cause: ErrAudience, desc: "audience mismatch"},
		{name: "aud array containing ours", body: activeBody(set("aud", []string{"https://other.example", testAud}))},
		{name: "aud array without ours", body: activeBody(set("aud", []string{"https://other.example", "https://mcp.example/mcp/other"})), kind: authresult.KindUnauthenticated, cause: ErrAudience},
		{name: "aud canonical spelling", body: activeBody(set("aud", "HTTPS://MCP.Example:443/mcp/"))},
		{name: "aud with fragment", body: activeBody(set("aud", testAud+"#x")), kind: authresult.KindUnauthenticated, cause: ErrAudience},
		{name: "aud prefix of ours", body: activeBody(set("aud", "https://mcp.example")), kind: authresult.KindUnauthenticated, cause: ErrAudience},
		{name: "aud missing", body: activeBody(del("aud")), kind: authresult.KindUnauthenticated, cause: ErrAudience},
		{name: "aud empty array", body: activeBody(set("aud", []string{})), kind: authresult.KindUnauthenticated, cause: ErrAudience},
		{name: "aud number", body: activeBody(set("aud", 1)), kind: authresult.KindUnauthenticated, cause: ErrAudience},
		{name: "aud array with number", body: activeBody(set("aud", []any{testAud, 1})), kind: authresult.KindUnauthenticated, cause: ErrAudience},

		{name: "token_type refresh_token", body: activeBody(set("token_type", "refresh_token")), kind: authresult.KindUnauthenticated, cause: ErrTokenType, desc: "token type not accepted"},
		{name: "token_type DPoP", body: activeBody(set("token_type", "DPoP")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "token_type N_A", body: activeBody(set("token_type", "N_A")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "token_type bearer lower case", body: activeBody(set("token_type", "bearer"))},
		{name: "token_type missing", body: activeBody(del("token_type"))},
		{name: "token_type number", body: activeBody(set("token_type", 1)), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "token_use refresh_token", body: activeBody(set("token_use", "refresh_token")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "token_use id", body: activeBody(set("token_use", "id")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "token_use access_token", body: activeBody(set("token_use", "access_token"))},
		{name: "typ Refresh", body: activeBody(set("typ", "Refresh")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "typ Offline", body: activeBody(set("typ", "Offline")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "typ ID", body: activeBody(set("typ", "ID")), kind: authresult.KindUnauthenticated, cause: ErrTokenType},
		{name: "typ Bearer", body: activeBody(set("typ", "Bearer"))},
		{name: "typ at+jwt", body: activeBody(set("typ", "at+jwt"))},
		{name: "cnf bound token", body: activeBody(set("cnf", map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"})), kind: authresult.KindUnauthenticated, cause: ErrTokenType},

		{name: "no sub", body: activeBody(del("sub")), kind: authresult.KindUnauthenticated, cause: ErrSubject, desc: "missing subject"},
		{name: "no sub and no client_id", body: activeBody(del("sub"), del("client_id")), kind: authresult.KindUnauthenticated, cause: ErrSubject},
		{name: "empty sub", body: activeBody(set("sub", "")), kind: authresult.KindUnauthenticated, cause: ErrSubject},
		{name: "sub number", body: activeBody(set("sub", 42)), kind: authresult.KindUnauthenticated, cause: ErrSubject},
		{name: "sub null", body: activeBody(set("sub", nil)), kind: authresult.KindUnauthenticated, cause: ErrSubject},
		{name: "client_id number", body: activeBody(set("client_id", 7)), kind: authresult.KindUnauthenticated, cause: ErrClaim},
		{name: "scope array", body: activeBody(set("scope", []string{"read", "write"}))},
		{name: "scope number", body: activeBody(set("scope", 1)), kind: authresult.KindUnauthenticated, cause: ErrClaim},
		{name: "scope null", body: activeBody(set("scope", nil)), kind: authresult.KindUnauthenticated, cause: ErrClaim},

		{name: "huge body", body: big, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "invalid JSON", body: `{"active":true,`, kind: authresult.KindUnavailable, cause: ErrResponse, desc: "token introspection unavailable"},
		{name: "trailing garbage", body: activeBody() + `x`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "two objects", body: activeBody() + activeBody(), kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "array", body: `[` + activeBody() + `]`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "string", body: `"active"`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "null", body: `null`, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "empty body", body: ``, kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "raw invalid UTF-8", body: strings.Replace(activeBody(), `"alice"`, "\"ali\xc3\"", 1), kind: authresult.KindUnavailable, cause: ErrResponse},
		{name: "whitespace around", body: " \n\t" + activeBody() + "\r\n "},

		{name: "500", status: 500, body: activeBody(), kind: authresult.KindUnavailable, cause: ErrUnavailable},
		{name: "502 empty", status: 502, body: "", kind: authresult.KindUnavailable, cause: ErrUnavailable},
		{name: "400", status: 400, body: `{"error":"invalid_request"}`, kind: authresult.KindUnavailable, cause: ErrUnavailable},
		{name: "404", status: 404, body: activeBody(), kind: authresult.KindUnavailable, cause: ErrUnavailable},
		{name: "401 from endpoint", status: 401, body: `{"error":"invalid_client"}`, kind: authresult.KindUnavailable, cause: ErrCredentials},
		{name: "403 from endpoint", status: 403, body: activeBody(), kind: authresult.KindUnavailable, cause: ErrCredentials},
		{name: "201", status: 201, body: activeBody(), kind: authresult.KindUnavailable, cause: ErrUnavailable},
		{name: "204", status: 204, body: "", kind: authresult.KindUnavailable, cause: ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			status := tc.status
			if status == 0 {
				status = http.StatusOK
			}
			e.as.set(status, tc.body)
			p, err := e.verify(e.token())
			if tc.kind == 0 {
				require.NoError(t, err)
				assert.True(t, p.Valid())
				return
			}
			assert.Nil(t, p)
			ae := requireKind(t, err, tc.kind, tc.cause)
			if tc.desc != "" {
				assert.Equal(t, tc.desc, ae.Description)
			}
			switch tc.kind {
			case authresult.KindUnauthenticated:
				assert.Equal(t, authresult.CodeInvalidToken, ae.Code)
				assert.Equal(t, 401, ae.Status())
			case authresult.KindUnavailable:
				assert.Equal(t, 503, ae.Status())
				assert.Equal(t, defaultRetryAfter, ae.RetryAfter)
				assert.Equal(t, descUnavailable, ae.Description)
			}
			assert.EqualValues(t, 1, e.as.calls.Load())
		})
	}
}

// TestVerifyReportsEveryFailedCheck: the description is the first
// failure's, the cause holds them all.
func TestVerifyReportsEveryFailedCheck(t *testing.T) {
	e := newEnv(t, nil)
	e.as.set(200, activeBody(
		set("exp", t0.Add(-time.Hour).Unix()), set("iss", "https://evil.example"),
		set("aud", "https://other.example"), del("sub"), set("token_type", "refresh_token")))
	_, err := e.verify(e.token())
	ae := requireKind(t, err, authresult.KindUnauthenticated, nil)
	assert.Equal(t, descExpired, ae.Description)
	for _, s := range []error{ErrExpired, ErrIssuer, ErrAudience, ErrSubject, ErrTokenType} {
		assert.ErrorIs(t, err, s)
	}
	assert.NotErrorIs(t, err, ErrNotYetValid)
}

// TestVerifyInactiveSkipsOtherChecks: an inactive answer is the verdict;
// its other members are not looked at.
func TestVerifyInactiveSkipsOtherChecks(t *testing.T) {
	e := newEnv(t, nil)
	e.as.set(200, activeBody(set("active", false), set("exp", "garbage")))
	_, err := e.verify(e.token())
	requireKind(t, err, authresult.KindUnauthenticated, ErrInactive)
	assert.NotErrorIs(t, err, ErrClaim)
}

func TestVerifyOptionsChangeChecks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		body  string
		sub   string
		iss   string
		cause error // nil: accepted
	}{
		{name: "missing iss allowed", edit: func(o *Options) { o.AllowMissingIssuer = true }, body: activeBody(del("iss")), sub: "alice", iss: testIss},
		{name: "present iss still checked", edit: func(o *Options) { o.AllowMissingIssuer = true }, body: activeBody(set("iss", "https://evil.example")), cause: ErrIssuer},
		{name: "empty iss is not missing", edit: func(o *Options) { o.AllowMissingIssuer = true }, body: activeBody(set("iss", "")), cause: ErrIssuer},
		{name: "second issuer", edit: func(o *Options) { o.Issuers = []string{"https://a.example", testIss} }, body: activeBody(), sub: "alice", iss: testIss},
		{name: "any audience", edit: func(o *Options) { o.Audiences, o.AnyAudience = nil, true }, body: activeBody(set("aud", "https://other.example")), sub: "alice", iss: testIss},
		{name: "any audience, no aud", edit: func(o *Options) { o.Audiences, o.AnyAudience = nil, true }, body: activeBody(del("aud")), sub: "alice", iss: testIss},
		{name: "any audience, malformed aud", edit: func(o *Options) { o.Audiences, o.AnyAudience = nil, true }, body: activeBody(set("aud", 3)), cause: ErrAudience},
		{name: "client credentials", edit: func(o *Options) { o.AllowClientCredentials = true }, body: activeBody(del("sub")), sub: "client:cli", iss: testIss},
		{name: "client credentials keep sub", edit: func(o *Options) { o.AllowClientCredentials = true }, body: activeBody(), sub: "alice", iss: testIss},
		{name: "client credentials, empty sub", edit: func(o *Options) { o.AllowClientCredentials = true }, body: activeBody(set("sub", "")), cause: ErrSubject},
		{name: "client credentials, neither", edit: func(o *Options) { o.AllowClientCredentials = true }, body: activeBody(del("sub"), del("client_id")), cause: ErrSubject},
		{name: "client credentials, empty client_id", edit: func(o *Options) { o.AllowClientCredentials = true }, body: activeBody(del("sub"), set("client_id", "")), cause: ErrSubject},
		{name: "no leeway, exp just past", edit: func(o *Options) { o.Leeway = NoLeeway }, body: activeBody(set("exp", t0.Add(-time.Second).Unix())), cause: ErrExpired},
		{name: "no leeway, exp now", edit: func(o *Options) { o.Leeway = NoLeeway }, body: activeBody(set("exp", t0.Unix())), cause: ErrExpired},
		{name: "no leeway, iat ahead", edit: func(o *Options) { o.Leeway = NoLeeway }, body: activeBody(set("iat", t0.Add(time.Second).Unix())), cause: ErrIssuedInFuture},
		{name: "token type required", edit: func(o *Options) { o.RequireTokenType = true }, body: activeBody(), sub: "alice", iss: testIss},
		{name: "token type required, missing", edit: func(o *Options) { o.RequireTokenType = true }, body: activeBody(del("token_type")), cause: ErrTokenType},
		{name: "token type required, refresh", edit: func(o *Options) { o.RequireTokenType = true }, body: activeBody(set("token_type", "refresh_token")), cause: ErrTokenType},
		{name: "long leeway", edit: func(o *Options) { o.Leeway = time.Hour }, body: activeBody(set("nbf", t0.Add(50*time.Minute).Unix())), sub: "alice", iss: testIss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.edit)
			e.as.set(200, tc.body)
			p, err := e.verify(e.token())
			if tc.cause != nil {
				requireKind(t, err, authresult.KindUnauthenticated, tc.cause)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.sub, p.Subject)
			assert.Equal(t, tc.iss, p.Issuer)
		})
	}
}

func TestScopeClaims(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims []string
		edits  []func(map[string]any)
		want   []string
		bad    bool
	}{
		{name: "default is scope", edits: []func(map[string]any){set("scp", []string{"x"})}, want: []string{"read", "write"}},
		{name: "scope with extra spaces", edits: []func(map[string]any){set("scope", "  a  b ")}, want: []string{"a", "b"}},
		{name: "empty scope", edits: []func(map[string]any){set("scope", "")}, want: nil},
		{name: "no scope", edits: []func(map[string]any){del("scope")}, want: nil},
		{name: "scp string", claims: []string{"scp"}, edits: []func(map[string]any){set("scp", "a b")}, want: []string{"a", "b"}},
		{name: "scp array", claims: []string{"scp"}, edits: []func(map[string]any){set("scp", []string{"a", "b"})}, want: []string{"a", "b"}},
		{name: "merged without repeats", claims: []string{"scope", "scp", "roles", "permissions"},
			edits: []func(map[string]any){set("scope", "read write read"), set("scp", []string{"write", "admin"}), set("roles", []string{"admin", "ops"}), set("permissions", []string{"tools:call"})},
			want:  []string{"read", "write", "admin", "ops", "tools:call"}},
		{name: "array with a non-string", claims: []string{"roles"}, edits: []func(map[string]any){set("roles", []any{"a", 1})}, bad: true},
		{name: "object", claims: []string{"roles"}, edits: []func(map[string]any){set("roles", map[string]any{"a": true})}, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.ScopeClaims = tc.claims })
			e.as.set(200, activeBody(tc.edits...))
			p, err := e.verify(e.token())
			if tc.bad {
				requireKind(t, err, authresult.KindUnauthenticated, ErrClaim)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Scopes)
		})
	}
}

// TestVerifyTokenLimits: empty and oversized tokens are refused without a
// request.
func TestVerifyTokenLimits(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxTokenBytes = 64 })
	_, err := e.verify("")
	requireKind(t, err, authresult.KindUnauthenticated, ErrMalformed)
	_, err = e.verify(strings.Repeat("a", 65))
	ae := requireKind(t, err, authresult.KindUnauthenticated, ErrMalformed)
	assert.Equal(t, descTooLarge, ae.Description)
	_, err = e.verify(strings.Repeat("a", 64))
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.as.calls.Load())
}

// TestVerifyTokenSentAsIs: tokens with characters the form encodes reach
// the endpoint unchanged.
func TestVerifyTokenSentAsIs(t *testing.T) {
	e := newEnv(t, nil)
	for _, tok := range []string{"a+b/c=", "x&token=other", "%41%", "tok en", "é"} {
		_, err := e.verify(tok)
		require.NoError(t, err)
		assert.Equal(t, []string{tok}, e.as.request().form["token"])
	}
}

func TestVerifyPrincipalIsACopy(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token()
	p1, err := e.verify(tok)
	require.NoError(t, err)
	p1.Subject = "mallory"
	p2, err := e.verify(tok)
	require.NoError(t, err)
	assert.Equal(t, "alice", p2.Subject)
}

func TestVerifyErrorsAreTyped(t *testing.T) {
	e := newEnv(t, nil)
	e.as.set(200, `{"active":false}`)
	_, err := e.verify(e.token())
	assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
	assert.ErrorIs(t, err, ErrInactive)
	assert.False(t, errors.Is(err, authresult.ErrUnavailable))
	e.as.set(500, "")
	_, err = e.verify(e.token())
	assert.ErrorIs(t, err, authresult.ErrUnavailable)
	_, nerr := authresult.Normalize(nil, err)
	assert.Equal(t, 503, authresult.As(nerr).Status(), "stays 503 through Normalize")
}
