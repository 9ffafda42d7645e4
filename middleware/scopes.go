package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"

	"github.com/mcpauth/mcpauth/authresult"
)

// RequireScopes returns middleware that lets a request through only when
// the principal in its context holds every one of scopes. A request with no
// principal (the Authenticator's Handler is missing or mis-ordered) gets
// 401; a principal lacking any scope gets 403 insufficient_scope whose
// challenge lists every required scope, so one step-up authorization
// suffices. It returns an error if scopes is empty or a scope is not a
// valid RFC 6749 scope-token.
func (a *Authenticator) RequireScopes(scopes ...string) (func(http.Handler) http.Handler, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("%w: RequireScopes needs at least one scope", errConfig)
	}
	for _, s := range scopes {
		if !authresult.ValidScope(s) {
			return nil, fmt.Errorf("%w: scope %q is not an RFC 6749 scope-token", errConfig, s)
		}
	}
	required := slices.Clone(scopes)
	const desc = "insufficient scope"
	var warnOnce sync.Once
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: RequireScopes handler called with a nil next handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := authresult.FromContext(r.Context())
			if !ok {
				warnOnce.Do(func() {
					a.cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: RequireScopes reached without a principal; install the Authenticator's Handler before it")
				})
				a.refuse(w, r, authresult.NoCredentials(), false, a.start())
				return
			}
			if len(p.MissingScopes(required...)) > 0 {
				a.refuse(w, r, authresult.InsufficientScope(desc, required...), false, a.start())
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}
