// Package panics is the one rule for a panic of code mcpauth calls (a
// verifier, a server factory, a server): log it with its stack and turn
// it into a typed internal error, so that the process lives and the
// client gets a 500 that says nothing more.
package panics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/mcpauth/mcpauth/authresult"
)

// OnRequest handles rec, recovered from a panic of what on a request's
// goroutine: http.ErrAbortHandler is panicked again, as net/http expects
// of it; anything else is logged and returned as an internal error
// wrapping cause.
func OnRequest(ctx context.Context, log *slog.Logger, what string, cause error, rec any) *authresult.Error {
	if rec == http.ErrAbortHandler {
		panic(rec)
	}
	return InBackground(ctx, log, what, cause, rec)
}

// InBackground handles rec, recovered from a panic of what on a goroutine
// of mcpauth's own, where nothing may panic again: it is logged and
// returned as an internal error wrapping cause.
func InBackground(ctx context.Context, log *slog.Logger, what string, cause error, rec any) *authresult.Error {
	log.LogAttrs(ctx, slog.LevelError, "mcpauth: "+what+" panicked",
		slog.String("panic", fmt.Sprint(rec)), slog.String("stack", string(debug.Stack())))
	return authresult.Internal(fmt.Errorf("%w: %v", cause, rec))
}
