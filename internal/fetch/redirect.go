// Package fetch holds the rules for the documents mcpauth fetches from an
// authorization server (key sets, metadata, introspection): redirects stay
// within the configured URL's origin.
package fetch

import (
	"errors"
	"net/http"
	"strings"
)

// maxRedirects is how many same-origin redirects a fetch follows.
const maxRedirects = 5

// ErrCrossOriginRedirect refuses a redirect to another origin.
var ErrCrossOriginRedirect = errors.New("redirect to another origin refused")

// SameOriginRedirects returns c (nil means a new client), or a copy of it
// that follows only same-origin redirects when c has no CheckRedirect of
// its own. A document is trusted for its URL: a redirect to another host
// would let that host choose the keys that validate tokens, or the answer
// of an introspection.
func SameOriginRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{}
	}
	if c.CheckRedirect != nil {
		return c
	}
	cp := *c
	cp.CheckRedirect = sameOriginRedirect
	return &cp
}

// sameOriginRedirect allows a redirect only to the origin (scheme, host
// and port) of the first request, at most maxRedirects times.
func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("too many redirects")
	}
	if origin(req) != origin(via[0]) {
		return ErrCrossOriginRedirect
	}
	return nil
}

// origin is a request URL's scheme, host and port, with the default port
// made explicit.
func origin(r *http.Request) string {
	scheme := strings.ToLower(r.URL.Scheme)
	host, port := strings.ToLower(r.URL.Hostname()), r.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + host + ":" + port
}
