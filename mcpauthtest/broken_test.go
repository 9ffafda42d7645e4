package mcpauthtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// swapToken hands next the request with the Authorization header replaced
// when cond holds: the server then treats it as that token's.
func swapToken(next http.Handler, token string, cond func(r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cond(r) {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+token)
		}
		next.ServeHTTP(w, r)
	})
}

func bearerIs(token string) func(r *http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token }
}

// rewrite lets next answer, then edit the answer before it is sent.
func rewrite(next http.Handler, edit func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		status, h, body := edit(r, rec)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// bodyField reads a JSON-RPC body's method and params.name, restoring it.
func bodyField(r *http.Request) (method, name string) {
	if r.Body == nil {
		return "", ""
	}
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	var m struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	_ = json.Unmarshal(b, &m)
	return m.Method, m.Params.Name
}

// Each check can fail: a server broken in one way is caught by exactly the
// check meant for that flaw, and passes every other.
func TestEachCheckCatchesItsFlaw(t *testing.T) {
	tests := []struct {
		check     string
		stateless bool
		broken    func(f *fixture, tg *Target, next http.Handler) http.Handler
	}{
		{"no-token/challenge", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return rewrite(next, func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				h := rec.Header()
				if r.Header.Get("Authorization") == "" && rec.Code == 401 {
					h.Set("WWW-Authenticate", `Bearer scope="mcp:read"`)
				}
				return rec.Code, h, rec.Body.Bytes()
			})
		}},
		{"no-token/metadata", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return rewrite(next, func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				body := rec.Body.Bytes()
				if strings.HasPrefix(r.URL.Path, "/.well-known/") {
					body = bytes.ReplaceAll(body, []byte(f.endpoint), []byte("https://elsewhere.example/mcp"))
					rec.Header().Del("Content-Length")
				}
				return rec.Code, rec.Header(), body
			})
		}},
		{"bad-token/invalid", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return swapToken(next, tg.Token, bearerIs("mcpauth-check-not-a-token"))
		}},
		{"bad-token/forged", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			forgedToken := forged(tg.Token)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Only the first forged request of the bad-token check: the
				// no-internals check sends the same token later.
				if bearerIs(forgedToken)(r) {
					if m, _ := bodyField(r); m == "initialize" {
						r = r.Clone(r.Context())
						r.Header.Set("Authorization", "Bearer "+tg.Token)
					}
				}
				next.ServeHTTP(w, r)
			})
		}},
		{"bad-token/expired", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return swapToken(next, tg.Token, bearerIs(tg.ExpiredToken))
		}},
		{"bad-token/other-audience", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return swapToken(next, tg.Token, bearerIs(tg.OtherAudienceToken))
		}},
		{"session/without-token", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return swapToken(next, tg.Token, func(r *http.Request) bool {
				return r.Header.Get("Mcp-Session-Id") != "" && r.Header.Get("Authorization") == ""
			})
		}},
		{"session/other-user", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return swapToken(next, tg.Token, func(r *http.Request) bool {
				return r.Header.Get("Mcp-Session-Id") != "" && bearerIs(tg.OtherUserToken)(r)
			})
		}},
		{"token/in-query", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tok := r.URL.Query().Get("access_token"); tok != "" && r.Header.Get("Authorization") == "" {
					r = r.Clone(r.Context())
					r.URL.RawQuery = ""
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				next.ServeHTTP(w, r)
			})
		}},
		{"token/in-query", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			// Only on the GET stream, as for a browser's EventSource.
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tok := r.URL.Query().Get("access_token"); tok != "" && r.Method == http.MethodGet && r.Header.Get("Authorization") == "" {
					r = r.Clone(r.Context())
					r.URL.RawQuery = ""
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				next.ServeHTTP(w, r)
			})
		}},
		{"errors/no-internals", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			// In a header of its own.
			return rewrite(next, func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				if rec.Code == 401 && r.Header.Get("Authorization") == "Bearer a.b.c" {
					rec.Header().Set("X-Debug-Trace", "goroutine 17 [running]: /srv/app/auth.go:42")
				}
				return rec.Code, rec.Header(), rec.Body.Bytes()
			})
		}},
		{"token/two-authorization-headers", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if v := r.Header.Values("Authorization"); len(v) > 1 {
					r = r.Clone(r.Context())
					r.Header["Authorization"] = v[:1]
				}
				next.ServeHTTP(w, r)
			})
		}},
		{"scope/insufficient", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return rewrite(next, func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				if strings.Contains(rec.Header().Get("WWW-Authenticate"), "insufficient_scope") {
					rec.Header().Del("WWW-Authenticate")
					return http.StatusOK, rec.Header(), rec.Body.Bytes()
				}
				return rec.Code, rec.Header(), rec.Body.Bytes()
			})
		}},
		{"errors/json-rpc", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return rewrite(next, func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				if rec.Code == 401 {
					rec.Header().Del("Content-Length")
					return 401, rec.Header(), []byte(`{"error":"unauthorized"}`)
				}
				return rec.Code, rec.Header(), rec.Body.Bytes()
			})
		}},
		{"errors/no-internals", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return rewrite(next, func(r *http.Request, rec *httptest.ResponseRecorder) (int, http.Header, []byte) {
				if rec.Code == 401 && r.Header.Get("Authorization") == "Bearer a.b.c" {
					rec.Header().Del("Content-Length")
					return 401, rec.Header(), append(rec.Body.Bytes(), "\ngoroutine 1 [running]:\nmain.verify(...)\n\t/app/auth.go:42"...)
				}
				return rec.Code, rec.Header(), rec.Body.Bytes()
			})
		}},
		{"origin/foreign", false, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r = r.Clone(r.Context())
				r.Header.Del("Origin")
				next.ServeHTTP(w, r)
			})
		}},
		{"revision/2026-07-28-header-mismatch", true, func(f *fixture, tg *Target, next http.Handler) http.Handler {
			// A server that reads the method from the body only: the
			// headers are made to agree before the guard sees them.
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Mcp-Method") != "" {
					m, name := bodyField(r)
					r = r.Clone(r.Context())
					r.Header.Set("Mcp-Method", m)
					if name != "" {
						r.Header.Set("Mcp-Name", name)
					}
				}
				next.ServeHTTP(w, r)
			})
		}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			f := newFixture(t, tt.stateless)
			tg := f.target(t)
			f.set(tt.broken(f, &tg, f.handler))
			results, err := Check(context.Background(), tg)
			require.NoError(t, err)
			for _, r := range results {
				if r.Name == tt.check {
					assert.Equal(t, Fail, r.Verdict, "%s must catch its flaw; got %s", r.Name, r.Got)
					covered[r.Name] = true
					continue
				}
				assert.NotEqual(t, Fail, r.Verdict, "%s failed for another check's flaw: %s", r.Name, r.Got)
			}
		})
	}
	// Every check but the baseline has its broken server.
	for _, c := range checks(&Target{Token: "t", ExpiredToken: "e", OtherAudienceToken: "o"})[1:] {
		assert.True(t, covered[c.name], "no broken server shows %s can fail", c.name)
	}
}

// A server that checks the token fully only when a session is made, and
// afterwards only that it names the session's owner, is caught by every
// bad-token check: each bad token is also sent on the owner's session.
func TestBadTokensInsideASession(t *testing.T) {
	f := newFixture(t, false)
	tg := f.target(t)
	next := f.handler
	f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Session-Id") != "" && r.Header.Get("Authorization") != "" && r.Header.Get("Authorization") != "Bearer "+tg.OtherUserToken {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer "+tg.Token)
		}
		next.ServeHTTP(w, r)
	})
	results, err := Check(context.Background(), tg)
	require.NoError(t, err)
	v := verdicts(results)
	for _, name := range []string{"bad-token/invalid", "bad-token/forged", "bad-token/expired", "bad-token/other-audience"} {
		assert.Equal(t, Fail, v[name], name)
	}
	assert.Equal(t, Pass, v["session/other-user"])
}
