package mcpauthtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// check is one rule and how to test it.
type check struct {
	name     string
	rule     string
	expected string
	why      string
	// needs says why the check cannot run on t ("" when it can).
	needs func(t *Target) string
	// run returns what the server did, whether that passes, and a
	// reason to skip when the server does not speak what is checked.
	run func(p *probe) (got string, ok bool, skip string)
}

// Check runs every check against target and returns one result per check,
// in a fixed order. It returns an error only for an invalid target; a
// server that cannot be reached fails the checks.
func Check(ctx context.Context, target Target) ([]Result, error) {
	if err := target.validate(); err != nil {
		return nil, err
	}
	p := &probe{ctx: ctx, t: &target, client: target.Client, endpoint: target.URL}
	if p.client == nil {
		// Bounded, and following no redirect: a redirect would carry the
		// in-query check's URL, token and all, to another site (in
		// Referer).
		p.client = &http.Client{Timeout: requestTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if target.Handler != nil {
		srv := httptest.NewServer(target.Handler)
		defer closeWithin(srv, requestTimeout)
		path := target.Endpoint
		if path == "" {
			path = "/mcp"
		}
		p.endpoint = srv.URL + path
	}
	if target.ForeignOrigin == "" {
		target.ForeignOrigin = "https://attacker.example"
	}
	var out []Result
	base := true
	for i, c := range checks(&target) {
		r := Result{Name: c.name, Rule: c.rule, Expected: c.expected, Why: c.why}
		switch reason := c.needs(&target); {
		case !base:
			r.Verdict, r.Why = Skip, "the valid token does not work (see "+out[0].Name+"): no refusal would mean anything"
		case reason != "":
			r.Verdict, r.Why = Skip, reason
		default:
			got, ok, skip := c.run(p)
			r.Got = printable(got) // it quotes the server, which may write anything
			switch {
			case skip != "":
				r.Verdict, r.Why = Skip, skip
			case ok:
				r.Verdict = Pass
			default:
				r.Verdict = Fail
			}
		}
		if i == 0 && r.Verdict != Pass {
			base = false
		}
		out = append(out, r)
	}
	return out, nil
}

// requestTimeout bounds each request of the default client, and how long
// a Handler's test server is waited for at the end.
const requestTimeout = 10 * time.Second

// closeWithin closes srv, waiting at most d for handlers that do not
// return (they are left running).
func closeWithin(srv *httptest.Server, d time.Duration) {
	srv.CloseClientConnections()
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// printable is s with control and bidirectional-formatting characters
// escaped, so that what a server wrote cannot redraw a terminal's table.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Run runs every check against target as a subtest of t named after it:
// failed checks fail, checks that cannot run are skipped with the reason.
func Run(t *testing.T, target Target) {
	t.Helper()
	results, err := Check(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			switch r.Verdict {
			case Skip:
				t.Skip(r.Why)
			case Fail:
				t.Errorf("%s\n  rule:     %s\n  expected: %s\n  got:      %s\n  why:      %s", r.Name, r.Rule, r.Expected, r.Got, r.Why)
			default:
				t.Logf("%s: %s", r.Expected, r.Got)
			}
		})
	}
}

// always is the needs of a check that needs only Token.
func always(*Target) string { return "" }

// needsField is the needs of a check that needs a credential.
func needsField(get func(*Target) string, what string) func(*Target) string {
	return func(t *Target) string {
		if get(t) == "" {
			return "no " + what + " given"
		}
		return ""
	}
}

// label makes a name from a bad token's label.
func label(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
