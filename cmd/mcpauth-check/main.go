// Command mcpauth-check audits the authorization of a running MCP server,
// in any language, with the checks of package mcpauthtest: it sends what a
// client (or an attacker) could send and reports what the server gets
// wrong, one line per check.
//
//	mcpauth-check -token "$TOKEN" https://mcp.example.com/mcp
//	mcpauth-check -token "$ADMIN" -reader-token "$READER" -reader-forbidden-tool admin_stats \
//	  -expired-token "$OLD" -bad-token throw=throw -json http://127.0.0.1:8080/mcp
//
// Every token flag has an environment fallback (MCPAUTH_CHECK_TOKEN and
// so on), so that tokens need not appear in a process listing. Tokens are
// never printed. The exit status is 0 when no check failed, 1 when one
// did, and 2 for a usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcpauth/mcpauth/mcpauthtest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// badTokens is the repeatable -bad-token label=token flag.
type badTokens []mcpauthtest.LabelledToken

func (b *badTokens) String() string { return fmt.Sprintf("%d tokens", len(*b)) }

func (b *badTokens) Set(v string) error {
	label, token, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(label) == "" {
		return errors.New("want label=token")
	}
	*b = append(*b, mcpauthtest.LabelledToken{Label: label, Token: token})
	return nil
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer, env func(string) (string, bool)) int {
	fs := flag.NewFlagSet("mcpauth-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mcpauth-check [flags] URL\n\nAudits the authorization of the MCP endpoint at URL. Flags:")
		fs.PrintDefaults()
	}
	var t mcpauthtest.Target
	tokenFlag := func(p *string, name, envName, usage string) {
		v, _ := env(envName)
		fs.StringVar(p, name, v, usage+" ($"+envName+")")
	}
	tokenFlag(&t.Token, "token", "MCPAUTH_CHECK_TOKEN", "a valid token that may connect and call -tool (required)")
	tokenFlag(&t.OtherUserToken, "other-user-token", "MCPAUTH_CHECK_OTHER_USER_TOKEN", "a valid token of another user")
	tokenFlag(&t.ReaderToken, "reader-token", "MCPAUTH_CHECK_READER_TOKEN", "a valid token that may not call -reader-forbidden-tool")
	tokenFlag(&t.OtherAudienceToken, "other-audience-token", "MCPAUTH_CHECK_OTHER_AUDIENCE_TOKEN", "a valid token for another resource")
	tokenFlag(&t.ExpiredToken, "expired-token", "MCPAUTH_CHECK_EXPIRED_TOKEN", "an expired token of this server's")
	fs.StringVar(&t.ReaderForbiddenTool, "reader-forbidden-tool", "", "a tool the reader token may not call")
	fs.StringVar(&t.Tool, "tool", "", "a tool -token may call (default: tools/list instead)")
	arguments := fs.String("args", "", "the tool's arguments, a JSON object")
	fs.StringVar(&t.ForeignOrigin, "origin", "", "an Origin the server must refuse (default https://attacker.example)")
	var bad badTokens
	fs.Var(&bad, "bad-token", "label=token, a token that must be refused (repeatable)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	t.URL, t.BadTokens = fs.Arg(0), bad
	if *arguments != "" {
		if err := json.Unmarshal([]byte(*arguments), &t.Arguments); err != nil {
			fmt.Fprintln(stderr, "mcpauth-check: -args is not a JSON object:", err)
			return 2
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	results, err := mcpauthtest.Check(ctx, t)
	if err != nil {
		fmt.Fprintln(stderr, "mcpauth-check:", err)
		return 2
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(results)
	} else {
		table(stdout, results)
	}
	if mcpauthtest.Failed(results) {
		return 1
	}
	return 0
}

// table prints the results for a terminal: one line per check, then what
// the failed ones mean.
func table(w io.Writer, results []mcpauthtest.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tCHECK\tEXPECTED\tGOT")
	counts := map[mcpauthtest.Verdict]int{}
	for _, r := range results {
		counts[r.Verdict]++
		got := r.Got
		if r.Verdict == mcpauthtest.Skip {
			got = "skipped: " + r.Why
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Verdict, r.Name, r.Expected, got)
	}
	_ = tw.Flush()
	if counts[mcpauthtest.Fail] > 0 {
		fmt.Fprintln(w, "\nWhy the failures matter:")
		for _, r := range results {
			if r.Verdict == mcpauthtest.Fail {
				fmt.Fprintf(w, "  %s: %s (%s)\n", r.Name, r.Why, r.Rule)
			}
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped\n", counts[mcpauthtest.Pass], counts[mcpauthtest.Fail], counts[mcpauthtest.Skip])
}
