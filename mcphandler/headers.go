package mcphandler

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// MCP HTTP headers.
const (
	headerSession  = "Mcp-Session-Id"
	headerVersion  = "Mcp-Protocol-Version"
	headerMethod   = "Mcp-Method"
	headerName     = "Mcp-Name"
	allowedMethods = "GET, POST, DELETE"
)

// guarded are the headers whose meaning the guard checks or acts on.
var guarded = []string{
	headerSession, headerVersion, headerMethod, headerName,
	"Authorization", "Last-Event-Id", "Origin", "Content-Type", "Content-Encoding", "Content-Length",
}

// variantHeader finds a header whose name, with '_' read as '-', is one of
// the guarded headers without being it. Servers that map headers
// CGI-style (Rack, WSGI, PHP) read such a twin as the header itself, so it
// could carry, say, a session id past the checks.
func variantHeader(h http.Header) (string, bool) {
	for name := range h {
		if strings.IndexByte(name, '_') < 0 {
			continue
		}
		canon := http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))
		if slices.Contains(guarded, canon) {
			return canon, true
		}
	}
	return "", false
}

// namesGuardedHeader reports whether a Connection header lists a guarded
// header. A proxy drops the headers Connection names (RFC 9110 §7.6.1),
// so the server behind it would act on a request without a header the
// guard acted on: a session id, a protocol version.
func namesGuardedHeader(connection []string) bool {
	for _, v := range connection {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.TrimSpace(tok)
			if slices.ContainsFunc(guarded, func(g string) bool { return strings.EqualFold(g, tok) }) {
				return true
			}
		}
	}
	return false
}

// checkHeaders enforces the 2026-07-28 rule that Mcp-Method, and Mcp-Name
// where the method has a target, repeat the body, so that intermediaries
// routing on headers and the server executing the body agree.
func checkHeaders(hdr http.Header, msgs []message, batch bool) *refusal {
	if batch {
		return kindModernBatch.refuse(checkMethodHeaders, nil)
	}
	m := msgs[0]
	if m.method == "" {
		return nil // a response to a server request carries no method
	}
	mismatch := kindHeaderMatch.refuse(checkMethodHeaders, m.id)
	if v := hdr[headerMethod]; len(v) != 1 || v[0] != m.method {
		return mismatch
	}
	if nameParam(m.method) == "" {
		return nil
	}
	v := hdr[headerName]
	if len(v) != 1 {
		return mismatch
	}
	name, ok := decodeHeaderValue(v[0])
	if !ok || name != m.name {
		return mismatch
	}
	return nil
}

// decodeHeaderValue decodes an MCP header value, which is either plain or,
// for values that are not safe as plain ASCII, "=?base64?<standard
// base64>?=".
func decodeHeaderValue(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(inner)
	if err != nil {
		return "", false
	}
	return string(b), true
}
