package introspect

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testIss = "https://idp.example"
	testAud = "https://mcp.example/mcp"
	// The credentials need form-encoding: ':' would end the id in a Basic
	// header, and '%', '+', ' ' and '/' change meaning when encoded.
	testClientID = "mcp:server%1 é"
	testSecret   = "p@ss:w%rd+/ =&x"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Unix(1_800_000_000, 0).UTC()

// clock is the tests' clock; it moves only with Advance.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// seen is what the fake endpoint received in one request.
type seen struct {
	method, contentType, accept, authorization string
	form                                       url.Values
}

// fakeAS is an introspection endpoint whose answer the test sets.
type fakeAS struct {
	srv   *httptest.Server
	calls atomic.Int32

	mu      sync.Mutex
	status  int
	body    string
	handler http.HandlerFunc // when set, answers instead of status and body
	last    seen
}

func newFakeAS(t testing.TB) *fakeAS {
	as := &fakeAS{status: http.StatusOK, body: activeBody()}
	as.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		as.calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		as.mu.Lock()
		as.last = seen{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("Authorization"), form}
		status, body, h := as.status, as.body, as.handler
		as.mu.Unlock()
		if h != nil {
			r.Body = io.NopCloser(bytes.NewReader(b))
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(as.srv.Close)
	return as
}

func (as *fakeAS) set(status int, body string) {
	as.mu.Lock()
	as.status, as.body, as.handler = status, body, nil
	as.mu.Unlock()
}

func (as *fakeAS) setHandler(h http.HandlerFunc) {
	as.mu.Lock()
	as.handler = h
	as.mu.Unlock()
}

func (as *fakeAS) request() seen {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.last
}

func (as *fakeAS) url() string { return as.srv.URL + "/introspect" }

// response builds an introspection response: an active token for alice
// with every usual member, changed by edits.
func response(edits ...func(map[string]any)) map[string]any {
	m := map[string]any{
		"active":     true,
		"sub":        "alice",
		"iss":        testIss,
		"aud":        testAud,
		"exp":        t0.Add(time.Hour).Unix(),
		"iat":        t0.Add(-time.Minute).Unix(),
		"scope":      "read write",
		"client_id":  "cli",
		"token_type": "Bearer",
		"username":   "alice@example.com",
	}
	for _, e := range edits {
		e(m)
	}
	return m
}

func activeBody(edits ...func(map[string]any)) string {
	b, err := json.Marshal(response(edits...))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func set(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
func del(k string) func(map[string]any)        { return func(m map[string]any) { delete(m, k) } }

// syncBuffer is a log sink safe for the goroutines of a flight.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one test's endpoint, clock, verifier and log. Every token it
// hands out is checked, when the test ends, never to appear in the log,
// and neither may the client secret.
type env struct {
	t      testing.TB
	as     *fakeAS
	clock  *clock
	v      *Verifier
	logs   *syncBuffer
	tokens []string
}

func newEnv(t testing.TB, edit func(*Options)) *env {
	t.Helper()
	e := &env{t: t, as: newFakeAS(t), clock: newClock(), logs: &syncBuffer{}}
	opts := e.options()
	if edit != nil {
		edit(&opts)
	}
	v, err := New(&opts)
	require.NoError(t, err)
	e.v = v
	t.Cleanup(func() {
		logs := e.logs.String()
		for _, tok := range e.tokens {
			assert.NotContains(t, logs, tok, "a token reached the log")
		}
		assert.NotContains(t, logs, testSecret, "the client secret reached the log")
		assert.NotContains(t, logs, url.QueryEscape(testSecret), "the client secret reached the log")
	})
	return e
}

// options are the env's Options before edits.
func (e *env) options() Options {
	return Options{
		Endpoint:     e.as.url(),
		ClientID:     testClientID,
		ClientSecret: testSecret,
		Issuers:      []string{testIss},
		Audiences:    []string{testAud},
		Now:          e.clock.Now,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// token returns a new random opaque token.
func (e *env) token() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "tok_" + hex.EncodeToString(b)
	e.tokens = append(e.tokens, tok)
	return tok
}

func (e *env) verify(tok string) (*authresult.Principal, error) {
	return e.v.VerifyToken(context.Background(), tok)
}

// requireKind asserts err is an *authresult.Error of kind k wrapping
// cause (if not nil), and returns it.
func requireKind(t testing.TB, err error, k authresult.Kind, cause error) *authresult.Error {
	t.Helper()
	require.Error(t, err)
	e, ok := err.(*authresult.Error)
	require.True(t, ok, "%T is not an *authresult.Error", err)
	require.Equal(t, k, e.Kind, "%v", err)
	if cause != nil {
		assert.ErrorIs(t, err, cause)
	}
	assert.NotEmpty(t, e.Description)
	return e
}
