// Package mcpauthtest audits an MCP server's authorization: it sends what
// a client (or an attacker) would send, and checks that the server refuses
// what the MCP authorization specification, RFC 6750, RFC 9728 and
// RFC 8707 say it must refuse.
//
// A Target is a server in process (an http.Handler) or a running one (a
// URL), plus the credentials the caller supplies: a valid token, and
// optionally a second user's, a reader's with a tool it may not call, one
// for another audience, an expired one, and labelled tokens that must be
// refused. Each check is named after the rule it checks, cites it, and is
// skipped with a reason when a credential it needs was not given:
//
//	func TestAuthorization(t *testing.T) {
//		mcpauthtest.Run(t, mcpauthtest.Target{Handler: srv, Token: valid, ExpiredToken: old})
//	}
//
// Check runs the same checks without a testing.T and returns their
// results; cmd/mcpauth-check prints them as a table.
//
// A check sends only what a client could send: initialize, tools/list,
// tools/call of the tools named in the Target, GET and DELETE of the
// sessions it opened itself. A tool it calls with a refused credential
// must not run; the check cannot see inside the server, so it relies on
// the answer: any result, session id or success status counts as having
// run. The errors/no-internals check looks for the usual shapes of stack
// traces and internal errors in Go, Python, JavaScript and Java (see
// internalsPatterns): a heuristic that may miss a leak of another shape.
// No result ever holds a token the Target gave.
package mcpauthtest
