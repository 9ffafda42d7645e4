package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBearer(t *testing.T) {
	tests := []struct {
		name   string
		header string
		token  string
		kind   authresult.Kind // 0: no error
	}{
		{"plain", "Bearer abc.def.ghi", "abc.def.ghi", 0},
		{"scheme case-insensitive", "bEARER abc", "abc", 0},
		{"several spaces", "Bearer    abc", "abc", 0},
		{"token68 charset and padding", "Bearer aZ09-._~+/==", "aZ09-._~+/==", 0},
		{"basic is not bearer", "Basic dXNlcjpwYXNz", "", 0},
		{"other scheme", "DPoP abc", "", 0},
		{"bare scheme", "Bearer", "", authresult.KindInvalidRequest},
		{"scheme and space only", "Bearer ", "", authresult.KindInvalidRequest},
		{"tab separator", "Bearer\tabc", "", authresult.KindInvalidRequest},
		{"no separator", "Bearerabc", "", 0},
		{"space inside token", "Bearer abc def", "", authresult.KindInvalidRequest},
		{"comma list", "Bearer abc, Bearer def", "", authresult.KindInvalidRequest},
		{"padding in middle", "Bearer ab=c", "", authresult.KindInvalidRequest},
		{"only padding", "Bearer ==", "", authresult.KindInvalidRequest},
		{"quote", `Bearer "abc"`, "", authresult.KindInvalidRequest},
		{"non-ascii", "Bearer abcé", "", authresult.KindInvalidRequest},
		{"nul", "Bearer abc\x00", "", authresult.KindInvalidRequest},
		{"too large", "Bearer " + strings.Repeat("a", 101), "", authresult.KindInvalidRequest},
		{"at cap", "Bearer " + strings.Repeat("a", 100), strings.Repeat("a", 100), 0},
		{"empty", "", "", authresult.KindInvalidRequest},
		{"leading space", " Bearer abc", "", authresult.KindInvalidRequest},
		{"invalid scheme chars", "Bear(er abc", "", authresult.KindInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := parseBearer(tt.header, 100)
			if tt.kind == 0 {
				require.Nil(t, err)
				assert.Equal(t, tt.token, tok)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, tt.kind, err.Kind)
			assert.Empty(t, tok)
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		target  string
		headers [][2]string
		body    string
		token   string
		kind    authresult.Kind
		cause   error
	}{
		{name: "header", headers: [][2]string{{"Authorization", "Bearer t1"}}, token: "t1"},
		{name: "none"},
		{name: "two headers", headers: [][2]string{{"Authorization", "Bearer t1"}, {"Authorization", "Bearer t2"}}, kind: authresult.KindInvalidRequest, cause: ErrMultipleAuthorization},
		{name: "bearer and basic", headers: [][2]string{{"Authorization", "Basic x"}, {"Authorization", "Bearer t2"}}, kind: authresult.KindInvalidRequest, cause: ErrMultipleAuthorization},
		{name: "query token alone", target: "/mcp?access_token=t1", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token encoded name", target: "/mcp?access%5Ftoken=t1", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token empty value", target: "/mcp?a=1&access_token", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token with header", target: "/mcp?access_token=t1", headers: [][2]string{{"Authorization", "Bearer t1"}}, kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token with semicolon", target: "/mcp?access_token=t1;x", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token with bad escape", target: "/mcp?access_token=t1%zz", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token after semicolon", target: "/mcp?a=1;access_token=t1", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "query token name with bad escape elsewhere", target: "/mcp?x=%zz&access%5ftoken=t1", kind: authresult.KindInvalidRequest, cause: ErrTokenInQuery},
		{name: "form token with semicolon", method: http.MethodPost, headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}, body: "access_token=t1;x", kind: authresult.KindInvalidRequest, cause: ErrTokenInForm},
		{name: "similar name is fine", target: "/mcp?access_tokens=1&my_access_token=2", headers: [][2]string{{"Authorization", "Bearer t1"}}, token: "t1"},
		{name: "harmless query", target: "/mcp?session=abc", headers: [][2]string{{"Authorization", "Bearer t1"}}, token: "t1"},
		{name: "form token", method: http.MethodPost, headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}, body: "access_token=t1", kind: authresult.KindInvalidRequest, cause: ErrTokenInForm},
		{name: "form token with charset", method: http.MethodPost, headers: [][2]string{{"Content-Type", "Application/X-WWW-Form-Urlencoded; charset=utf-8"}, {"Authorization", "Bearer t1"}}, body: "a=1&access_token=t1", kind: authresult.KindInvalidRequest, cause: ErrTokenInForm},
		{name: "form too large", method: http.MethodPost, headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}, body: strings.Repeat("a", 2000), kind: authresult.KindInvalidRequest, cause: ErrFormTooLarge},
		{name: "json body mentioning access_token", method: http.MethodPost, headers: [][2]string{{"Content-Type", "application/json"}, {"Authorization", "Bearer t1"}}, body: `{"access_token":"x"}`, token: "t1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodGet
			}
			if target == "" {
				target = "/mcp"
			}
			r := httptest.NewRequest(method, target, strings.NewReader(tt.body))
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			c, err := extract(nil, r, 100, 1024, 0)
			if tt.kind == 0 {
				require.Nil(t, err)
				assert.Equal(t, tt.token, c.token)
				return
			}
			require.NotNil(t, err)
			assert.Equal(t, tt.kind, err.Kind)
			assert.ErrorIs(t, err, tt.cause)
		})
	}
}
