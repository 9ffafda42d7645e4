package mcphandler

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/mcpauth/mcpauth/authresult"
)

// Factory returns the MCP handler that serves p, such as an MCP server
// built for p's tenant. Errors are answered by type (see package
// jsonrpcerr): unauthenticated 401, forbidden 403, anything else 500 with
// a generic message.
type Factory func(r *http.Request, p *authresult.Principal) (http.Handler, error)

// serverFor runs the factory, turning a panic into an internal error.
func (h *Handler) serverFor(r *http.Request, p *authresult.Principal) (next http.Handler, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			h.cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: server factory panicked",
				slog.String("panic", fmt.Sprint(rec)), slog.String("stack", string(debug.Stack())))
			next, err = nil, authresult.Internal(fmt.Errorf("mcphandler: factory panicked: %v", rec))
		}
	}()
	next, err = h.factory(r, p)
	if err == nil && next == nil {
		err = authresult.Internal(errors.New("mcphandler: factory returned no handler"))
	}
	return next, err
}
