// Package decision is the one record every mcpauth layer makes of each
// request it decides: the authentication middleware, the mcphandler guard
// and the mcpproxy gateway all report a [Decision] to a [Hook], the same
// function for all three, so that metrics, traces and the audit log see
// every layer in one stream with one vocabulary.
//
//	hook := decision.Hooks(metrics.Hook(), decision.AuditLog(logger))
//	auth, _ := middleware.New(verifier, &middleware.Options{OnDecision: hook})
//	guard, _ := mcphandler.New(server, &mcphandler.Options{OnDecision: hook})
//
// A decision carries who (the principal's binding key and subject, never a
// token or a claim), what (the JSON-RPC method and tool), the outcome and
// a [Reason] from a small closed set ([Reasons]), the HTTP status, the
// scopes a refused operation needs, the session (hashed) and how long the
// decision took. The reasons are stable names, the same in metrics labels
// and log records; a new refusal path gets one of them or fails the tests
// of its layer.
//
// A layer without a hook does no work for one: no clock reads, no hashing,
// no allocation.
package decision
