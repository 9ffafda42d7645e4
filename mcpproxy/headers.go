package mcpproxy

import (
	"encoding/json"
	"net"
	"net/http"

	"github.com/mcpauth/mcpauth/mcphandler"
)

// passed are the client request headers that reach the upstream as sent:
// none of them changes what the request means to an MCP server.
var passed = []string{"Accept", "User-Agent", "Last-Event-Id"}

// written are the headers the proxy writes itself, from what the guard
// checked; a credentials hook may not set them.
var written = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Content-Encoding": true, "Transfer-Encoding": true, "Host": true,
	"X-Forwarded-For": true, "X-Forwarded-Proto": true,
	"Mcp-Session-Id": true, "Mcp-Protocol-Version": true, "Mcp-Method": true, "Mcp-Name": true,
	"Traceparent": true, "Tracestate": true,
}

// neverForwarded are client headers no configuration may pass on:
// credentials, hop-by-hop headers, compression negotiation (the guard
// must read responses), and the forwarding headers the proxy sets.
var neverForwarded = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
	"Accept-Encoding": true,
	"Forwarded":       true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true, "X-Real-Ip": true,
}

// applicationJSON is the Content-Type the proxy writes, shared by every
// request: it goes into the header ReverseProxy copies (values included),
// so no transport ever holds this slice.
var applicationJSON = []string{"application/json"}

// setForwarded sets on h what the gateway itself saw of in's connection:
// its peer's address (X-Forwarded-For) and whether it was TLS
// (X-Forwarded-Proto). Nothing comes from in's headers or Host.
func setForwarded(h http.Header, in *http.Request) {
	if ip, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		h["X-Forwarded-For"] = []string{ip}
	}
	// Fresh values: h is the outgoing request's own header, which a
	// transport may edit in place.
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	h["X-Forwarded-Proto"] = []string{proto}
}

// upstreamHeader builds the header of the upstream request for in, which
// the guard admitted as a: the allow-listed client headers, then what the
// proxy writes from the admission, the well-formed trace context if
// configured, then the credentials hook's headers (extra).
func (c *config) upstreamHeader(in *http.Request, a *mcphandler.Admission, extra http.Header) http.Header {
	h := make(http.Header, 8)
	for _, name := range passed {
		if v := in.Header[name]; len(v) > 0 {
			h[name] = v
		}
	}
	for _, name := range c.forward {
		if v := in.Header[name]; len(v) > 0 {
			h[name] = v
		}
	}
	if in.Method == http.MethodPost {
		h["Content-Type"] = applicationJSON
	}
	if id := a.SessionID(); id != "" {
		h["Mcp-Session-Id"] = []string{id}
	}
	if v := a.ProtocolVersion(); v != "" {
		h["Mcp-Protocol-Version"] = []string{v}
		if mcphandler.Sessionless(v) {
			// The guard checked these against the body.
			for _, name := range []string{"Mcp-Method", "Mcp-Name"} {
				if v := in.Header[name]; len(v) > 0 {
					h[name] = v
				}
			}
		}
	}
	if c.traceContext {
		setTraceContext(h, in)
	}
	for k, v := range extra {
		h[http.CanonicalHeaderKey(k)] = v
	}
	return h
}

// writesGuarded reports whether a credentials hook's headers include one
// the proxy writes itself.
func writesGuarded(extra http.Header) bool {
	for k := range extra {
		if written[http.CanonicalHeaderKey(k)] {
			return true
		}
	}
	return false
}

// requestID is the id to echo in the proxy's own error responses.
func requestID(a *mcphandler.Admission) json.RawMessage {
	if a == nil {
		return nil
	}
	return a.ID()
}
