package introspect

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyNeverLogsToken runs every kind of outcome with a debug-level
// logger, with an endpoint that echoes the token back in its answers,
// and checks that neither the token nor the client secret is logged.
// (Every other test's log is checked the same way when it ends.)
func TestVerifyNeverLogsToken(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	var mode atomic.Value
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		tok := r.FormValue("token")
		switch mode.Load() {
		case "inactive":
			_, _ = io.WriteString(w, `{"active":false,"note":"`+tok+`"}`)
		case "expired":
			_, _ = io.WriteString(w, activeBody(set("exp", 1), set("jti", tok)))
		case "500":
			w.WriteHeader(500)
			_, _ = io.WriteString(w, "no such token "+tok)
		case "401":
			w.WriteHeader(401)
			_, _ = io.WriteString(w, tok)
		case "malformed":
			_, _ = io.WriteString(w, `{"active":true,"`+tok)
		case "duplicate":
			_, _ = io.WriteString(w, `{"active":true,"`+tok+`":1,"`+tok+`":2}`)
		case "slow":
			<-r.Context().Done()
		case "redirect":
			http.Redirect(w, r, "http://localhost:1/?token="+tok, http.StatusTemporaryRedirect)
		}
	})
	for _, m := range []string{"inactive", "expired", "500", "401", "malformed", "duplicate", "slow", "redirect"} {
		mode.Store(m)
		_, err := e.verify(e.token())
		require.Error(t, err, m)
	}
	logs := e.logs.String()
	for _, want := range []string{"level=DEBUG", "level=WARN", "level=ERROR", "token inactive", "token expired"} {
		assert.Contains(t, logs, want)
	}
	for _, tok := range e.tokens {
		assert.NotContains(t, logs, tok)
		assert.NotContains(t, logs, tok[:len(tok)/2], "not even a part of it")
	}
	assert.NotContains(t, strings.ToLower(logs), "basic ")
}
