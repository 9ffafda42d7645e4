package mcpauthtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBearerChallenge(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   map[string]string
		found  bool
	}{
		{"params", []string{`Bearer error="invalid_token", resource_metadata="https://a/.well-known/x"`}, map[string]string{"error": "invalid_token", "resource_metadata": "https://a/.well-known/x"}, true},
		{"token values and case", []string{`bearer Error=invalid_token, SCOPE="a b"`}, map[string]string{"error": "invalid_token", "scope": "a b"}, true},
		{"escapes", []string{`Bearer error_description="say \"no\""`}, map[string]string{"error_description": `say "no"`}, true},
		{"after another scheme", []string{`Basic realm="x", Bearer scope="s"`}, map[string]string{"scope": "s"}, true},
		{"two headers", []string{`Basic realm="x"`, `Bearer error="invalid_token"`}, map[string]string{"error": "invalid_token"}, true},
		{"only the first Bearer", []string{`Bearer scope="a", Bearer scope="b"`}, map[string]string{"scope": "a"}, true},
		{"first value of a repeated param", []string{`Bearer scope="a", scope="b"`}, map[string]string{"scope": "a"}, true},
		{"bare scheme", []string{`Bearer`}, map[string]string{}, true},
		{"none", []string{`Basic realm="x"`}, nil, false},
		{"empty", nil, nil, false},
		{"unterminated quote", []string{`Bearer scope="a`}, map[string]string{}, true},
		{"token68 of another scheme", []string{`Negotiate abc==, Bearer scope="s"`}, map[string]string{"scope": "s"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := bearerChallenge(tt.values)
			assert.Equal(t, tt.found, found)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzBearerChallenge(f *testing.F) {
	for _, s := range []string{
		`Bearer error="invalid_token", resource_metadata="https://a/b"`, `Basic realm="x", Bearer scope="s"`,
		`Bearer scope="a`, `Negotiate abc==, Bearer`, `Bearer ,,, =, "x"`, "Bearer \\", "", "Negotiate abc", "Bearer abc  ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		params, found := bearerChallenge([]string{s})
		if !found && params != nil {
			t.Fatal("params without a Bearer challenge")
		}
		for k := range params {
			if k == "" {
				t.Fatal("an empty parameter name")
			}
		}
	})
}

func TestRPCIn(t *testing.T) {
	assert.Nil(t, rpcIn("application/json", []byte(`{"jsonrpc":"2.0","method":"x"}`)), "a request is no answer")
	assert.Nil(t, rpcIn("application/json", []byte(`not json`)))
	m := rpcIn("text/event-stream", []byte("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n\n"))
	if assert.NotNil(t, m) {
		assert.Equal(t, "3", string(m.ID))
	}
	e := rpcIn("application/json; charset=utf-8", []byte(`{"jsonrpc":"2.0","id":"a","error":{"code":-32000,"message":"no"}}`))
	if assert.NotNil(t, e) {
		assert.Equal(t, -32000, e.Error.Code)
	}
}

func FuzzRPCIn(f *testing.F) {
	for _, s := range []string{`{"jsonrpc":"2.0","id":1,"result":{}}`, "data: {\"id\":1,\"error\":{}}\n\n", "data:", "event: x\ndata: [1]\n"} {
		f.Add("text/event-stream", s)
		f.Add("application/json", s)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		_ = rpcIn(ct, []byte(body))
	})
}

func TestInternals(t *testing.T) {
	for _, leak := range []string{
		"goroutine 7 [running]:", "panic: runtime error", "/app/auth.go:42", "Traceback (most recent call last):",
		`File "/srv/app.py", line 9, in verify`, "Error: x\n    at verify (/app/a.js:1:2)", "/app/node_modules/x",
		"at com.acme.Auth.check(Auth.java:12)", "TypeError: cannot read", "KeyError: 'sub'",
	} {
		assert.NotEmpty(t, internals([]byte(leak)), leak)
	}
	for _, clean := range []string{
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"authentication required"}}`,
		"invalid token", "Unauthorized", `Bearer error="invalid_token"`,
	} {
		assert.Empty(t, internals([]byte(clean)), clean)
	}
}
