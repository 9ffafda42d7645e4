// Package mcphandler guards an MCP Streamable HTTP endpoint: it refuses to
// run the MCP server behind it, for any request, without an authenticated
// principal, and it binds sessions to the principal that created them.
//
// A [Handler] wraps any MCP Streamable HTTP http.Handler (the go-sdk's
// StreamableHTTPHandler, mark3labs/mcp-go's StreamableHTTPServer, an
// mcpproxy gateway) and is mounted behind middleware.Authenticator.Handler:
//
//	guard, err := mcphandler.New(mcpServer, &mcphandler.Options{
//		Challenge: auth.Challenge(),
//		Policy:    &mcphandler.Policy{Tools: map[string][]string{"echo": nil, "reset": {"admin"}}},
//	})
//	mux.Handle("/mcp", auth.Handler(guard))
//
// # Checks
//
// The guard first decides, then responds. Each request runs these checks
// in this order; the first that fails is the answer (check, what it
// refuses, status):
//
//	principal           no principal in the context (middleware missing)           401 + challenge, logged once
//	method              a method other than GET, POST, DELETE                     405 + Allow
//	header_twin         a header that reads as a guarded one with '_' for '-'       400
//	connection          a Connection header naming a guarded header                400
//	origin              an Origin not in Options.AllowedOrigins (DNS rebinding)     403
//	protocol_version    an unknown or repeated MCP-Protocol-Version                400, -32022
//	sessionless_method  GET or DELETE in a revision without sessions (2026-07-28)   405 + Allow
//	content_type        a POST not of Content-Type application/json (charset utf-8) 415
//	content_encoding    a POST with a Content-Encoding other than identity          415
//	body                a POST body over Options.MaxBodyBytes, late, or unreadable  413, 408, 400
//	jsonrpc             invalid JSON or UTF-8, duplicate or case-variant members    400, -32700 or -32600
//	method_headers      Mcp-Method/Mcp-Name not matching the body (2026-07-28)      400, -32020
//	rate_limit          past the principal's (or a tool's) Options.RateLimit        429 + Retry-After, 400, 503
//	resource_uri        a resource URI not in normal form, while Policy names any   400, -32602
//	policy              a call the Policy does not allow                           403 insufficient_scope
//	session             two session ids; one not bound to this principal and route 400, 404 -32001, 503
//	streams             a GET past Options.MaxStreams open for the principal        429
//
// Every refusal, and every admitted request once its response is done, is
// reported to Options.OnDecision as a decision.Decision of layer "guard",
// with the reason its check's refusal carries (decision.Reasons lists
// them), so metrics and the audit log name the same causes as this table.
//
// Guarded headers are Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method,
// Mcp-Name, Authorization, Last-Event-ID, Origin, Content-Type,
// Content-Encoding and Content-Length. Only after every check passes does
// the wrapped handler run, with the [Admission] in its request context:
// the principal and the exact body bytes the checks read, which a proxy
// forwards instead of re-reading the request.
//
// A successful response that creates a session (Mcp-Session-Id) binds it
// to the principal's issuer, subject and route before the client sees
// it; a DELETE the server accepts removes the binding. A principal holds
// a bounded number of sessions (see [MemoryStoreOptions]): a new one past
// the bound ends its least recently used one, on the server too, with a
// DELETE the guard sends through the wrapped handler; so do bindings the
// store expires. Revisions without sessions (2026-07-28) get no session
// logic: a session id they carry is removed from the request, and one the
// server hands out from the response. tools/list results, JSON or SSE,
// are filtered so that list and call agree; a list that cannot be
// filtered is answered 500.
//
// [Handles] binds the state handles of session-less revisions to their
// principal.
package mcphandler
