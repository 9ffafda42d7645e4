package mcpauthtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A server that keeps an answer's event stream open, or never answers,
// cannot hold the audit longer than its client's timeout; one that writes
// terminal escapes cannot redraw the results.
func TestHostileServers(t *testing.T) {
	t.Run("stream held open after the answer", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Mcp-Session-Id", "s1")
			_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":1,\"result\":{}}\r\n\r\n")
			http.NewResponseController(w).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		t0 := time.Now()
		results, err := Check(context.Background(), Target{Handler: h, Token: "t"})
		require.NoError(t, err)
		assert.Less(t, time.Since(t0), 5*time.Second, "read up to the answer, no further")
		assert.Equal(t, Pass, results[0].Verdict, "a result split over two data lines and CRLF endings is read: %s", results[0].Got)
	})
	t.Run("never answers a bad token", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer good" {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
		})
		t0 := time.Now()
		results, err := Check(context.Background(), Target{Handler: h, Token: "good", Client: &http.Client{Timeout: 200 * time.Millisecond}})
		require.NoError(t, err)
		assert.Less(t, time.Since(t0), 30*time.Second)
		v := verdicts(results)
		assert.Equal(t, Fail, v["bad-token/invalid"])
		assert.Equal(t, Fail, v["errors/no-internals"], "nothing seen is no proof of nothing shown")
	})
	t.Run("terminal escapes", func(t *testing.T) {
		f := newFixture(t, false)
		tg := f.target(t)
		next := f.handler
		f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/.well-known/") {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"resource":"`+f.endpoint+`","authorization_servers":["https://as\n\u001b[1A\u001b[2K\rPASS  bad-token/forged\u202e"]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
		results, err := Check(context.Background(), tg)
		require.NoError(t, err)
		for _, r := range results {
			assert.NotContains(t, r.Got, "\n", r.Name)
			assert.NotContains(t, r.Got, "\x1b", r.Name)
			assert.NotContains(t, r.Got, "\u202e", r.Name)
		}
		assert.Contains(t, verdicts(results), "no-token/metadata")
	})
}
