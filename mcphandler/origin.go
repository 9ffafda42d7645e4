package mcphandler

import (
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth/internal/loopback"
)

// originAllowed reports whether a browser at the Origin in values may call
// the server: an origin in the allow-list, or a loopback origin naming the
// very host and port the request was sent to (a page served by this local
// server itself). DNS rebinding cannot produce the latter: the attacker's
// page keeps its own origin.
func (h *Handler) originAllowed(values []string, host string) bool {
	if len(values) != 1 {
		return false
	}
	norm, ok := normalizeOrigin(values[0])
	if !ok {
		return false
	}
	if h.cfg.origins[norm] {
		return true
	}
	_, originHost, _ := strings.Cut(norm, "://")
	return originHost == strings.ToLower(host) && loopback.HostPort(originHost)
}

// normalizeOrigin lower-cases an RFC 6454 serialized origin and checks its
// shape: scheme "://" host [":" port], nothing else.
func normalizeOrigin(s string) (string, bool) {
	scheme, host, ok := strings.Cut(strings.ToLower(s), "://")
	if !ok || scheme == "" || host == "" || strings.ContainsAny(host, "/?#@ ") ||
		!slices.Contains([]string{"http", "https"}, scheme) {
		return "", false
	}
	return scheme + "://" + host, true
}

// AllowsOrigin reports whether origin is one of Options.AllowedOrigins,
// compared as the guard compares a request's Origin header. It is the one
// rule for cross-origin browsers: a CORS layer in front of the guard (see
// package mcphandler/cors) answers exactly the origins the guard admits.
// A same-origin request to a loopback address, which the guard also
// admits, needs no CORS and is not reported here.
func (h *Handler) AllowsOrigin(origin string) bool {
	norm, ok := normalizeOrigin(origin)
	return ok && h.cfg.origins[norm]
}
