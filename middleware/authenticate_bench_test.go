package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
)

var benchPrincipal = &authresult.Principal{Subject: "alice", Issuer: "https://idp"}

func trivialVerifier(_ context.Context, token string) (*authresult.Principal, error) {
	if token == "" {
		return nil, authresult.InvalidToken("x", nil)
	}
	return benchPrincipal, nil
}

var okHandler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

func benchRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", http.NoBody)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl")
	return r
}

// BenchmarkBaseline is the floor: the trivial verifier called directly and
// its principal put into the request context by hand.
func BenchmarkBaseline(b *testing.B) {
	b.ReportAllocs()
	r := benchRequest()
	w := httptest.NewRecorder()
	for b.Loop() {
		p, _ := trivialVerifier(r.Context(), "t")
		okHandler.ServeHTTP(w, r.WithContext(authresult.NewContext(r.Context(), p)))
	}
}

// BenchmarkAuthenticate is the whole middleware on success with the same
// verifier; the difference to BenchmarkBaseline is its overhead.
func BenchmarkAuthenticate(b *testing.B) {
	b.ReportAllocs()
	a, err := New(TokenVerifierFunc(trivialVerifier), nil)
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler(okHandler)
	r := benchRequest()
	w := httptest.NewRecorder()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// BenchmarkAuthenticateNoCredentials is the refusal path: a 401 with the
// challenge and a JSON-RPC body.
func BenchmarkAuthenticateNoCredentials(b *testing.B) {
	b.ReportAllocs()
	a, err := New(TokenVerifierFunc(trivialVerifier), testOpts)
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler(okHandler)
	r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}
