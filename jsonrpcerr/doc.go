// Package jsonrpcerr writes the JSON-RPC 2.0 error responses that MCP
// clients parse, with the HTTP status and the RFC 6750 WWW-Authenticate
// challenge that OAuth clients parse, for any error.
//
// The status comes from the error's type alone (see [authresult.Kind]),
// never from its text, and the text of an error never reaches the client:
// the response carries only the client-safe message of the
// [*authresult.Error] in the chain, or "internal error".
//
//	error in the chain                 HTTP  JSON-RPC code  challenge
//	---------------------------------  ----  -------------  ----------------------------
//	authresult.ErrUnauthenticated      401   -32000         Bearer [error="invalid_token"]
//	authresult.ErrForbidden            403   -32001         Bearer error="insufficient_scope"
//	                                                        (only when scopes are named)
//	authresult.ErrInvalidRequest       400   -32600         Bearer error="invalid_request"
//	authresult.ErrUnavailable          503   -32603         none; Retry-After
//	anything else, or ErrInternal      500   -32603         none
//
// -32000 and -32001 are the codes MCP clients already receive for 401 and
// for insufficient scope from the most used TypeScript MCP proxy; the
// official TypeScript SDK defines no auth-specific code and reads the HTTP
// status. The OAuth fields of the challenge are repeated in error.data
// (error, error_description, scope, resource_metadata) so that a client that
// reads only the body finds them too.
//
// [RequestID] recovers the id to echo from a request body without
// consuming it.
package jsonrpcerr
