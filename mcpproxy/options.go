package mcpproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
)

// Options configures a proxy. A nil *Options means the defaults.
type Options struct {
	// UpstreamHeaders, if set, returns headers to set on the upstream
	// request for principal p, such as the gateway's own Authorization.
	// An error refuses the request, answered by its type (see package
	// jsonrpcerr). Headers the proxy writes itself (Content-Type,
	// Content-Length, Content-Encoding, Host, X-Forwarded-For,
	// X-Forwarded-Proto, traceparent, tracestate and the MCP headers) may
	// not be set; a hook that sets one gets 500.
	UpstreamHeaders func(ctx context.Context, p *authresult.Principal) (http.Header, error)
	// ForwardHeaders names client request headers to pass to the upstream
	// besides the allow-list, such as "X-Tenant". Hop-by-hop headers,
	// credentials (Authorization, Proxy-Authorization), headers the proxy
	// writes itself, Accept-Encoding, and names with '_' are refused.
	ForwardHeaders []string
	// ForwardTraceContext passes the client's W3C Trace Context
	// (traceparent, and tracestate beside it) to the upstream when it is
	// well-formed, so that the upstream's spans join the client's trace.
	// Off by default: the client chooses those headers, including whether
	// the upstream samples and what vendor state (tracestate) it acts on.
	// A tracing Transport (telemetry.Telemetry.Transport) sends the
	// gateway's own span in traceparent instead, with or without this;
	// with this, the client's tracestate still goes beside it.
	ForwardTraceContext bool
	// Transport carries upstream requests; nil means a transport of the
	// proxy's own from NewTransport, which keeps a pool of idle
	// connections to the upstream.
	Transport http.RoundTripper
	// Logger receives upstream failures. Nil discards.
	Logger *slog.Logger
	// OnDecision, if set, receives the proxy's decision of every request
	// (layer "proxy"): the upstream's status and its time to the response
	// headers, or why the request was not forwarded or failed upstream.
	// See package decision; use the same hook for the other layers.
	OnDecision decision.Hook
}

var errConfig = errors.New("mcpproxy: invalid options")

// config is Options validated.
type config struct {
	upstreamHeaders func(context.Context, *authresult.Principal) (http.Header, error)
	forward         []string // canonical names
	transport       http.RoundTripper
	log             *slog.Logger
	onDecision      decision.Hook
	traceContext    bool
}

func newConfig(o *Options) (*config, error) {
	if o == nil {
		o = &Options{}
	}
	c := &config{upstreamHeaders: o.UpstreamHeaders, transport: o.Transport, log: o.Logger, onDecision: o.OnDecision, traceContext: o.ForwardTraceContext}
	if c.transport == nil {
		c.transport = NewTransport()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for _, name := range o.ForwardHeaders {
		canon := http.CanonicalHeaderKey(name)
		switch {
		case !validHeaderName(name) || strings.IndexByte(name, '_') >= 0:
			return nil, fmt.Errorf("%w: ForwardHeaders: %q is not a header name without '_'", errConfig, name)
		case neverForwarded[canon] || written[canon]:
			return nil, fmt.Errorf("%w: ForwardHeaders: %s is never forwarded", errConfig, canon)
		}
		c.forward = append(c.forward, canon)
	}
	return c, nil
}

// validHeaderName reports whether s is an RFC 9110 field name (a token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
