package introspect

import (
	"context"
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/middleware"
)

// Revocation verifies a token with a local verifier, such as a
// *jwtverify.Verifier, and then requires the introspection endpoint to
// call it active, so that a self-contained token revoked at the
// authorization server is refused before it expires: within the
// Verifier's Cache.TTL of the revocation. The authorization server must
// introspect the JWTs it issues; one that refuses to (oidc-provider answers
// 400 unsupported_token_type) makes every token an outage, 503. Create it
// with [NewRevocation]; it is safe for concurrent use.
type Revocation struct {
	local  middleware.TokenVerifier
	remote *Verifier
}

var errNilVerifier = errors.New("introspect: NewRevocation needs a local verifier and an introspection verifier")

// NewRevocation returns a [Revocation] that accepts a token only when
// local accepts it and remote, asked about the same token, agrees. It
// returns an error if either is nil.
func NewRevocation(local middleware.TokenVerifier, remote *Verifier) (*Revocation, error) {
	if local == nil || remote == nil {
		return nil, errNilVerifier
	}
	if f, ok := local.(middleware.TokenVerifierFunc); ok && f == nil {
		return nil, errNilVerifier
	}
	return &Revocation{local: local, remote: remote}, nil
}

// VerifyToken runs the local verifier and, when it accepts the token,
// introspects it (answered from the introspection cache when it can be).
// It returns the local verifier's principal, whose claims the token
// itself carries, when the introspection response is active, passes the
// Verifier's checks and names the same subject and issuer; a response
// naming others is refused with invalid_token and ErrMismatch. Errors of
// either verifier are returned as they are, so an endpoint outage is 503
// and a revoked token is 401 with ErrInactive. A local principal without
// a subject is an internal error.
func (r *Revocation) VerifyToken(ctx context.Context, token string) (*authresult.Principal, error) {
	p, err := r.local.VerifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if !p.Valid() {
		return nil, authresult.Internal(errors.New("introspect: the local verifier returned no principal and no error"))
	}
	q, err := r.remote.VerifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if q.Subject != p.Subject || q.Issuer != p.Issuer {
		e := invalid(descMismatch, fmt.Errorf("%w: token sub %s iss %s, introspection sub %s iss %s",
			ErrMismatch, quote(p.Subject), quote(p.Issuer), quote(q.Subject), quote(q.Issuer)))
		r.remote.logRejected(ctx, e)
		return nil, e
	}
	return p, nil
}
