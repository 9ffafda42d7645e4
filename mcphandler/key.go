package mcphandler

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/mcpauth/mcpauth/authresult"
)

// Key identifies who a session belongs to: the principal's issuer and
// subject (its [authresult.BindingKey]) and the route the session was
// made on. It does not depend on the token, so a refreshed token keeps
// the session.
type Key [sha256.Size]byte

// keyFor derives the binding key of p on route: one SHA-256 over the
// length-prefixed issuer, subject and route, so no choice of the three
// strings can collide with another.
func keyFor(p *authresult.Principal, route string) Key {
	var stack [256]byte
	b := stack[:0]
	for _, s := range [...]string{p.Issuer, p.Subject, route} {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
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
