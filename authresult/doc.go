// Package authresult defines the single outcome of authenticating an MCP
// request: either an authenticated [Principal] or a typed [*Error]. There is
// no third state.
//
// Authenticators in the wild return many shapes: a struct with an
// Authenticated field, a JSON object decoded into map[string]any, a bare
// boolean, a typed nil pointer, an error, or they panic. [Normalize] maps
// every one of them to exactly one of (principal, nil) or (nil, error), and
// every error it returns satisfies errors.As(err, new(*Error)). Anything it
// does not recognise fails closed.
//
// # Outcome table
//
// Normalize(v, err) decides as follows; the first matching row wins.
//
//	input                                         result                 status
//	--------------------------------------------  ---------------------  ------
//	err != nil (with any v, even a principal)     the error, classified  below
//	  err holds an *Error (wrapped or joined)     that *Error's kind     401/403/400/503/500
//	  err is context.Canceled / DeadlineExceeded  ErrUnavailable         503
//	  any other err                               ErrInternal            500
//	v == nil                                      ErrUnauthenticated     401
//	v is a typed nil (pointer, map, func, ...)    ErrUnauthenticated     401
//	v is an error                                 as err != nil above
//	*Principal / Principal with a Subject         the principal          200
//	*Principal / Principal without a Subject      ErrInternal            500
//	Result{Authenticated: false, Message: any}    ErrUnauthenticated     401
//	Result{Authenticated: true} with a valid      the principal          200
//	  Principal; otherwise                        ErrInternal            500
//	map[string]any with "authenticated": true     principal from "sub"   200
//	  (JSON true only) and a string "sub" or        or "subject"
//	  "subject"; true without a subject           ErrInternal            500
//	map[string]any whose "authenticated" is       ErrUnauthenticated     401
//	  false, "false", "true", 0, 1, null, absent,
//	  or anything but JSON true
//	json.RawMessage                               decoded, then as map   as map
//	  not a JSON object                           ErrInternal            500
//	value with Authenticated() bool == false      ErrUnauthenticated     401
//	Authenticated() == true and a method          that principal,        200
//	  Principal() *Principal returning a valid      validated as above
//	  principal; otherwise                        ErrInternal            500
//	bool false                                    ErrUnauthenticated     401
//	bool true (no identity attached)              ErrInternal            500
//	any other type                                ErrInternal            500
//
// Messages that an authenticator attaches to a soft failure (Result.Message,
// a map's "error" field) are kept in the error chain for logs but are never
// sent to clients: a client sees only the description of the typed error.
// To give clients a specific, safe description, return an error built with
// [InvalidToken], [InsufficientScope], [InvalidRequest] or [Unavailable].
//
// Panics are not values and cannot reach Normalize; callers that invoke an
// authenticator recover them and report [ErrInternal] (see package
// middleware).
package authresult
