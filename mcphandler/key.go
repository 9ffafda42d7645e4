package mcphandler

import (
	"crypto/sha256"

	"github.com/mcpauth/mcpauth/authresult"
)

// Key identifies who a session belongs to: the principal's issuer and
// subject (its [authresult.BindingKey]) and the route the session was
// made on. It does not depend on the token, so a refreshed token keeps
// the session.
type Key [sha256.Size]byte

// keyFor derives the binding key of p on route: SHA-256 over p's
// BindingKey, whose length is fixed, and the route, so no choice of
// issuer, subject and route can collide with another.
func keyFor(p *authresult.Principal, route string) Key {
	var stack [256]byte
	pk := p.BindingKey()
	b := append(append(stack[:0], pk[:]...), route...)
	return sha256.Sum256(b)
}

// identity is what a binding key is a function of.
type identity struct{ iss, sub, route string }

// bindingKey returns keyFor(p, route), remembered per identity so that a
// principal's requests hash once rather than once each.
func (h *Handler) bindingKey(p *authresult.Principal, route string) Key {
	id := identity{p.Issuer, p.Subject, route}
	if k, ok := h.keys.get(id); ok {
		return k
	}
	k := keyFor(p, route)
	h.keys.put(id, k)
	return k
}
