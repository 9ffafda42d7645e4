// Package mcphandler guards an MCP Streamable HTTP endpoint: it refuses to
// run the MCP server behind it, for any request, without an authenticated
// principal, and it binds sessions to the principal that created them.
//
// A [Handler] wraps any MCP Streamable HTTP http.Handler (the go-sdk's
// StreamableHTTPHandler, mark3labs/mcp-go's StreamableHTTPServer, a reverse
// proxy) and is mounted behind middleware.Authenticator.Handler:
//
//	guard, err := mcphandler.New(mcpServer, &mcphandler.Options{
//		Challenge: auth.Challenge(),
//		Policy:    &mcphandler.Policy{Tools: map[string][]string{"echo": nil, "reset": {"admin"}}},
//	})
//	mux.Handle("/mcp", auth.Handler(guard))
//
// For each request, in order, it refuses:
//
//	no principal in the context (middleware missing)   401 + challenge, logged once
//	a method other than GET, POST, DELETE              405 + Allow
//	an Origin not in Options.AllowedOrigins            403 (DNS rebinding)
//	an unknown MCP-Protocol-Version                    400, -32022
//	a POST body over Options.MaxBodyBytes              413
//	invalid JSON or invalid UTF-8                      400, -32700, id null
//	duplicate or case-variant members ("METHOD")       400, -32600
//	Mcp-Method/Mcp-Name not matching the body (2026-07-28)  400, -32020
//	a call the Policy does not allow                   403 insufficient_scope naming every scope
//	a session id not bound to this principal and route 404, -32001 (unknown and foreign alike)
//
// and only then calls the wrapped handler. A successful response that
// creates a session (Mcp-Session-Id) binds it to the principal's issuer,
// subject and route before the client sees it; a DELETE the server accepts
// removes the binding. Revisions without sessions (2026-07-28) get no
// session logic, and any session id they carry is removed. tools/list
// results, JSON or SSE, are filtered so that list and call agree.
//
// [Handles] binds the state handles of session-less revisions to their
// principal.
package mcphandler
