package mcpauthtest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedServer reproduces the bug report this project began with: the
// authenticate callback returns a soft failure ({authenticated: false},
// a truthy object) that the server takes for success and creates a
// session; a thrown error becomes a 500 with its stack; and a session id
// alone is enough for every later request.
func seedServer(valid string) http.Handler {
	var mu sync.Mutex
	sessions := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		sid := r.Header.Get("Mcp-Session-Id")
		mu.Lock()
		known := sessions[sid]
		mu.Unlock()
		switch {
		case known:
			// A session id alone is enough.
		case auth == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		case auth == "Bearer throw":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "Error: token verification failed\n    at authenticate (/app/node_modules/mcp-proxy/dist/auth.js:41:11)\n")
			return
		case auth != "Bearer "+valid:
			// {authenticated: false} is truthy: the request goes on.
		}
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		_ = json.NewDecoder(r.Body).Decode(&m)
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusOK)
			return
		}
		if m.ID == nil {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if m.Method == "initialize" {
			sid = rand.Text()
			mu.Lock()
			sessions[sid] = true
			mu.Unlock()
			w.Header().Set("Mcp-Session-Id", sid)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"ok"}]}}`, m.ID)
	})
}

// The kit reports FAIL on the seed's bugs, each by the check meant for it.
func TestFailsOnTheSeedBugs(t *testing.T) {
	srv := httptest.NewServer(seedServer("good-token"))
	defer srv.Close()
	results, err := Check(context.Background(), Target{
		URL: srv.URL + "/mcp", Token: "good-token", Tool: "echo",
		BadTokens: []LabelledToken{{"soft failure {authenticated:false}", "soft-failure"}, {"throw", "throw"}, {"null", "null"}},
	})
	require.NoError(t, err)
	assert.True(t, Failed(results))
	v := verdicts(results)
	assert.Equal(t, Pass, v["valid-token/works"])
	for _, name := range []string{
		"no-token/challenge",                    // no resource_metadata
		"bad-token/invalid", "bad-token/forged", // soft failures pass
		"bad-token/soft-failure--authenticated-false-", "bad-token/throw", "bad-token/null",
		"session/without-token", // a session id alone
		"token/two-authorization-headers",
		"errors/json-rpc", "errors/no-internals", "origin/foreign",
	} {
		assert.Equal(t, Fail, v[name], name)
	}
}
