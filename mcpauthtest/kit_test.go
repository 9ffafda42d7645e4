package mcpauthtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stretchr/testify/require"
)

func verdicts(results []Result) map[string]Verdict {
	m := map[string]Verdict{}
	for _, r := range results {
		m[r.Name] = r.Verdict
	}
	return m
}

// mcpauth in front of the go-sdk passes every check; what the server does
// not speak is skipped, with the reason.
func TestPassesOnAServerProtectedByMCPAuth(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stateless bool
		skipped   map[string]string
	}{
		{"sessions", false, map[string]string{"revision/2026-07-28-header-mismatch": "does not speak 2026-07-28"}},
		{"stateless, 2026-07-28", true, map[string]string{"session/without-token": "keeps no sessions", "session/other-user": "keeps no sessions"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.stateless)
			results, err := Check(context.Background(), f.target(t))
			require.NoError(t, err)
			require.Len(t, results, 16)
			for _, r := range results {
				if why, ok := tc.skipped[r.Name]; ok {
					assert.Equal(t, Skip, r.Verdict, r.Name)
					assert.Contains(t, r.Why, why)
					continue
				}
				if r.Verdict != Pass {
					t.Errorf("%s: %s\n  expected %s\n  got %s\n  %s", r.Name, r.Verdict, r.Expected, r.Got, r.Why)
				}
			}
			assert.False(t, Failed(results))
		})
	}
}

// Checks whose credential is missing are skipped with the reason, and a
// target that does not work fails the baseline and skips the rest.
func TestSkipsAndBaseline(t *testing.T) {
	f := newFixture(t, false)
	results, err := Check(context.Background(), Target{URL: f.endpoint, Token: f.mint(t, "alice", f.endpoint, "mcp:read", time.Hour)})
	require.NoError(t, err)
	v := verdicts(results)
	for _, name := range []string{"bad-token/expired", "bad-token/other-audience", "session/other-user", "scope/insufficient"} {
		assert.Equal(t, Skip, v[name], name)
	}
	assert.Equal(t, Pass, v["bad-token/forged"])

	results, err = Check(context.Background(), Target{URL: f.endpoint, Token: "not-valid"})
	require.NoError(t, err)
	assert.Equal(t, Fail, results[0].Verdict)
	for _, r := range results[1:] {
		assert.Equal(t, Skip, r.Verdict, r.Name)
		assert.Contains(t, r.Why, "valid token does not work")
	}
	assert.True(t, Failed(results))
}

func TestInvalidTargets(t *testing.T) {
	for _, tc := range []Target{
		{},
		{URL: "http://x/mcp"},
		{URL: "ftp://x/mcp", Token: "t"},
		{URL: "http://x/mcp?a=b", Token: "t"},
		{URL: "http://x/mcp", Handler: http.NotFoundHandler(), Token: "t"},
		{URL: "http://x/mcp", Token: "t", ReaderToken: "r"},
		{URL: "http://x/mcp", Token: "t", BadTokens: []LabelledToken{{Token: "x"}}},
	} {
		_, err := Check(context.Background(), tc)
		assert.ErrorIs(t, err, errTarget, "%+v", tc)
	}
}

// No result ever holds a token, even when the server drops the connection
// of a request whose URL carries one.
func TestResultsHoldNoToken(t *testing.T) {
	f := newFixture(t, false)
	next := f.handler
	f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		next.ServeHTTP(w, r)
	})
	tg := f.target(t)
	results, err := Check(context.Background(), tg)
	require.NoError(t, err)
	v := verdicts(results)
	assert.Equal(t, Fail, v["token/in-query"], "no answer is no refusal")
	for _, r := range results {
		for _, tok := range []string{tg.Token, tg.OtherUserToken, tg.ReaderToken, tg.ExpiredToken, tg.OtherAudienceToken} {
			assert.NotContains(t, r.Got, tok[len(tok)-20:], r.Name)
		}
	}
}
