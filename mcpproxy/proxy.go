// Package mcpproxy forwards authenticated MCP requests to an upstream MCP
// server, for gateways that put mcpauth in front of a server written in
// any language.
//
//	proxy, err := mcpproxy.New(upstreamURL, nil)
//	guard, err := mcphandler.New(proxy, &mcphandler.Options{Challenge: auth.Challenge()})
//	mux.Handle("/mcp", auth.Handler(guard))
//
// The proxy never forwards the client's Authorization header: the MCP
// specification forbids passing a client's token through to another
// service. Options.UpstreamHeaders attaches the gateway's own credentials
// instead. Responses stream as they arrive, so SSE works unbuffered;
// hop-by-hop headers are removed both ways, and so are request headers
// whose names contain '_', which CGI-style servers would read as their
// '-' twins. Responses reach the guard uncompressed, so that it can filter
// them.
package mcpproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// Options configures a proxy. A nil *Options means the defaults.
type Options struct {
	// UpstreamHeaders, if set, returns headers to set on the upstream
	// request for principal p, such as the gateway's own Authorization.
	// An error refuses the request, answered by its type (see package
	// jsonrpcerr).
	UpstreamHeaders func(ctx context.Context, p *authresult.Principal) (http.Header, error)
	// Transport carries upstream requests; nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Logger receives upstream failures. Nil discards.
	Logger *slog.Logger
}

// ErrUpstream is the cause of every 502: the upstream could not be reached
// or refused the gateway's own credentials.
var ErrUpstream = errors.New("mcpproxy: upstream failed")

type extraKey struct{}

// New returns a handler that sends every request to upstream, the full URL
// of the upstream MCP endpoint (such as "http://127.0.0.1:3000/mcp"),
// whatever the incoming path. It returns an error for a URL that is not
// absolute http(s).
func New(upstream *url.URL, opts *Options) (http.Handler, error) {
	if upstream == nil || (upstream.Scheme != "http" && upstream.Scheme != "https") || upstream.Host == "" {
		return nil, fmt.Errorf("mcpproxy: upstream %v is not an absolute http(s) URL", upstream)
	}
	if opts == nil {
		opts = &Options{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	target := *upstream
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := target
			pr.Out.URL = &u
			pr.Out.Host = ""
			pr.Out.Header.Del("Authorization")
			pr.Out.Header.Del("Proxy-Authorization")
			// Servers that map headers CGI-style (Rack, WSGI, PHP) read
			// Mcp_Session_Id as Mcp-Session-Id; names with '_' would reach
			// them unchecked by the guard, so they are dropped, as nginx does.
			for name := range pr.Out.Header {
				if strings.IndexByte(name, '_') >= 0 {
					delete(pr.Out.Header, name)
				}
			}
			// The guard must read what it filters: ask for no encoding
			// here and let the Transport negotiate and decompress.
			pr.Out.Header.Del("Accept-Encoding")
			pr.SetXForwarded()
			if extra, ok := pr.In.Context().Value(extraKey{}).(http.Header); ok {
				for k, v := range extra {
					pr.Out.Header[http.CanonicalHeaderKey(k)] = v
				}
			}
		},
		Transport:     opts.Transport,
		FlushInterval: -1, // stream SSE as it comes
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusUnauthorized || (resp.StatusCode == http.StatusForbidden && resp.Header.Get("WWW-Authenticate") != "") {
				// The client's credentials were checked here; an upstream
				// refusal concerns the gateway's own, which the client
				// cannot fix.
				return fmt.Errorf("%w: upstream answered %d", ErrUpstream, resp.StatusCode)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				return // the client went away
			}
			log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: upstream request failed", slog.Any("error", err))
			jsonrpcerr.WriteCode(w, http.StatusBadGateway, nil, jsonrpcerr.CodeInternalError, "upstream unavailable")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := authresult.FromContext(r.Context())
		if !ok {
			// A gateway never forwards unauthenticated requests, whatever
			// is (not) in front of it.
			jsonrpcerr.Write(w, nil, authresult.NoCredentials(), nil)
			return
		}
		if opts.UpstreamHeaders != nil {
			extra, err := opts.UpstreamHeaders(r.Context(), p)
			if err != nil {
				log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: upstream credentials", slog.Any("error", err))
				jsonrpcerr.Write(w, jsonrpcerr.RequestID(r, 0), err, nil)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), extraKey{}, extra))
		}
		rp.ServeHTTP(w, r)
	}), nil
}
