// Package stdio serves an MCP server that speaks only stdio as a
// Streamable HTTP endpoint, behind an mcphandler guard: the bridge a
// gateway route uses when its upstream is a command.
//
// Each session gets its own child process, started by the session's
// initialize and ended by its DELETE, by its idle timeout, when the guard
// evicts its binding (the guard then sends that DELETE), when the child
// exits, and by [Bridge.Close]. A request outside a session (a revision
// without sessions, or a client that never took one) is served by its
// principal's own child, which the bridge initializes itself. A child is
// only ever reached by the principal that started it: the bridge checks
// the owner itself, on top of the guard's session binding, so that even a
// store that bound a session to the wrong principal could not hand one
// user's process to another.
//
// The child sees only the environment [Options.Env] gives it, nothing of
// the gateway's own, and the number of children is capped in total and
// per principal. Requests reach the child exactly as the guard admitted
// them ([mcphandler.Admission.Body]); only the JSON-RPC id is replaced by
// one the bridge allocates, so that no two requests on a child can share
// an id, and it is restored on the response.
package stdio
