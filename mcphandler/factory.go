package mcphandler

import (
	"errors"
	"net/http"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/panics"
)

// Factory returns the MCP handler that serves p, such as an MCP server
// built for p's tenant. Errors are answered by type (see package
// jsonrpcerr): unauthenticated 401, forbidden 403, anything else 500 with
// a generic message.
type Factory func(r *http.Request, p *authresult.Principal) (http.Handler, error)

var errFactoryPanic = errors.New("mcphandler: factory panicked")

// serverFor runs the factory, turning a panic into an internal error.
func (h *Handler) serverFor(r *http.Request, p *authresult.Principal) (next http.Handler, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			next, err = nil, panics.OnRequest(r.Context(), h.cfg.log, "server factory", errFactoryPanic, rec)
		}
	}()
	next, err = h.factory(r, p)
	if err == nil && next == nil {
		err = authresult.Internal(errors.New("mcphandler: factory returned no handler"))
	}
	return next, err
}
