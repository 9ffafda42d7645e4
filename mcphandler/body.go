package mcphandler

import (
	"errors"
	"net/http"
	"os"

	"github.com/mcpauth/mcpauth/internal/reqbody"
)

// readBody reads the whole POST body, at most Options.MaxBodyBytes within
// Options.BodyReadTimeout, and restores it so that the wrapped handler
// reads the identical bytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *refusal) {
	body, complete, err := reqbody.PeekWithin(w, r, h.cfg.maxBody, h.cfg.bodyTimeout)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, kindBodyTimeout.refuse(checkBody, nil)
	case err != nil:
		return nil, kindBodyRead.refuse(checkBody, nil)
	case !complete:
		return nil, kindBodyTooLarge.refuse(checkBody, nil)
	}
	return body, nil
}
