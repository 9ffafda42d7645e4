package telemetry

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Kinds of fetch, for [Telemetry.FetchClient].
const (
	FetchJWKS          = "jwks"
	FetchIntrospection = "introspection"
	// FetchToken is a request to a token endpoint for the gateway's own
	// upstream credentials (package mcpproxy/credentials).
	FetchToken = "token"
	// FetchDiscovery is counted for any request for authorization
	// server or OpenID metadata (a path ending in
	// /.well-known/oauth-authorization-server or
	// /.well-known/openid-configuration, or with the issuer's path after
	// the former), whatever the client's kind.
	FetchDiscovery = "discovery"
)

// FetchClient returns a copy of c (a new client when nil) whose requests
// are counted in mcpauth.fetches by kind and outcome: "ok" for a 2xx or
// 3xx answer, "failed" for an error or any other status. Give it to
// jwtverify.Options.HTTPClient (kind FetchJWKS) or
// introspect.Options.HTTPClient (kind FetchIntrospection). Redirect
// policy, timeout and jar are kept as they are.
func (t *Telemetry) FetchClient(kind string, c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = &countingTransport{base: base, t: t, kind: kind}
	return &cp
}

// metadataPath reports whether path is where RFC 8414 or OpenID Connect
// Discovery put an issuer's metadata.
func metadataPath(path string) bool {
	return strings.HasPrefix(path, "/.well-known/oauth-authorization-server") ||
		strings.HasSuffix(path, "/.well-known/openid-configuration")
}

type countingTransport struct {
	base http.RoundTripper
	t    *Telemetry
	kind string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	kind := c.kind
	if metadataPath(r.URL.Path) {
		kind = FetchDiscovery
	}
	outcome := "ok"
	if err != nil || resp.StatusCode >= 400 {
		outcome = "failed"
	}
	c.t.fetches.Add(r.Context(), 1, metric.WithAttributes(attribute.String("kind", kind), attribute.String("outcome", outcome)))
	return resp, err
}
