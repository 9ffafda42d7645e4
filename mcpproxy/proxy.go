// Package mcpproxy forwards authenticated MCP requests to an upstream MCP
// server, for gateways that put mcpauth in front of a server written in
// any language.
//
//	proxy, err := mcpproxy.New(upstreamURL, nil)
//	guard, err := mcphandler.New(proxy, &mcphandler.Options{Challenge: auth.Challenge()})
//	mux.Handle("/mcp", auth.Handler(guard))
//
// The upstream acts on exactly what the guard checked. The proxy forwards
// only requests an mcphandler guard admitted, and it builds each upstream
// request rather than copying the client's: the body is the exact bytes
// the guard parsed ([mcphandler.Admission.Body]), under a Content-Type the
// proxy writes itself (application/json); the session id and protocol
// version are the ones the guard checked; of the client's other headers
// only an allow-list goes on (Accept, User-Agent, Last-Event-ID,
// and Mcp-Method and Mcp-Name where the guard checked them against the
// body), plus those Options.ForwardHeaders names, and with
// Options.ForwardTraceContext a well-formed W3C traceparent and
// tracestate. Nothing else — no charset, no
// Content-Encoding, no header the guard did not read, no query string —
// reaches the upstream.
//
// The upstream learns who connected only from what the gateway saw
// itself: X-Forwarded-For is the address of the gateway's peer and
// X-Forwarded-Proto whether that connection was TLS. A client's own
// X-Forwarded-*, Forwarded or X-Real-Ip never reaches the upstream, and
// neither does its Host (as X-Forwarded-Host), which the client chose.
//
// The proxy never forwards the client's Authorization header: the MCP
// specification forbids passing a client's token through to another
// service. Options.UpstreamHeaders attaches the gateway's own credentials
// instead. Responses stream as they arrive, so SSE works unbuffered;
// hop-by-hop response headers are removed. Responses reach the guard
// uncompressed, so that it can filter them.
package mcpproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// ErrUpstream is the cause of every 502: the upstream could not be reached
// or refused the gateway's own credentials.
var ErrUpstream = errors.New("mcpproxy: upstream failed")

// errUpstreamRefused is the cause of the 502 a client gets when the
// upstream refuses the gateway's own credentials.
var errUpstreamRefused = fmt.Errorf("%w: the upstream refused the gateway's credentials; configure them with Options.UpstreamHeaders (package mcpproxy/credentials)", ErrUpstream)

// errClientGone is the cause reported when the client went away before
// the upstream answered.
var errClientGone = errors.New("mcpproxy: the client went away before the upstream answered")

// errNotAdmitted is the cause of the 500 a request without a guard's
// admission gets: the proxy is mounted without mcphandler in front.
var errNotAdmitted = errors.New("mcpproxy: request not admitted by an mcphandler guard; mount the proxy behind mcphandler.New")

// errGuardedUpstreamHeader is the cause of the 500 a credentials hook gets
// for setting a header the proxy writes itself.
var errGuardedUpstreamHeader = errors.New("mcpproxy: UpstreamHeaders set a header the proxy writes itself")

type admittedKey struct{}

// New returns a handler that sends every request an mcphandler guard
// admitted to upstream, the full URL of the upstream MCP endpoint (such
// as "http://127.0.0.1:3000/mcp"), whatever the incoming path. A request
// without a principal gets 401 and one without an admission (no guard in
// front) 500; neither is forwarded. New returns an error for a URL that is
// not absolute http(s) or for invalid options.
func New(upstream *url.URL, opts *Options) (http.Handler, error) {
	if upstream == nil || (upstream.Scheme != "http" && upstream.Scheme != "https") || upstream.Host == "" {
		return nil, fmt.Errorf("mcpproxy: upstream %v is not an absolute http(s) URL", upstream)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	target := *upstream
	var warnOnce sync.Once
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// pr.In is the copy the handler below made, whose header is
			// the upstream request's, built from the client's; pr.Out's
			// is a clone of it.
			a, _ := mcphandler.FromContext(pr.In.Context())
			u := target
			pr.Out.URL = &u
			pr.Out.Host = ""
			pr.Out.Trailer = nil
			pr.Out.TransferEncoding = nil
			if body := a.Body(); pr.In.Method == http.MethodPost {
				pr.Out.Body = io.NopCloser(bytes.NewReader(body))
				pr.Out.ContentLength = int64(len(body))
			} else {
				pr.Out.Body, pr.Out.ContentLength = http.NoBody, 0
			}
			pr.Out.GetBody = nil
			// After ReverseProxy removed every X-Forwarded-* header.
			setForwarded(pr.Out.Header, pr.In)
		},
		Transport:     cfg.transport,
		FlushInterval: -1, // stream SSE as it comes
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusUnauthorized || (resp.StatusCode == http.StatusForbidden && resp.Header.Get("WWW-Authenticate") != "") {
				// The client's credentials were checked here; an upstream
				// refusal concerns the gateway's own, which the client
				// cannot fix.
				return fmt.Errorf("%w: upstream answered %d", errUpstreamRefused, resp.StatusCode)
			}
			if cfg.onDecision != nil && resp.Request != nil {
				if fwd, ok := resp.Request.Context().Value(admittedKey{}).(*forward); ok {
					a, _ := mcphandler.FromContext(resp.Request.Context())
					cfg.report(fwd.in, a, fwd.start, resp.StatusCode, nil)
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// r is ReverseProxy's outgoing request (its context is the
			// client's); the decision hook gets the client's request
			// (fwd.in), as everywhere else.
			fwd, _ := r.Context().Value(admittedKey{}).(*forward)
			a, _ := mcphandler.FromContext(r.Context())
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				// The client went away: nothing to answer, but the
				// request was forwarded, and is reported.
				if fwd != nil {
					cfg.report(fwd.in, a, fwd.start, 0, errClientGone)
				}
				return
			}
			if !errors.Is(err, ErrUpstream) {
				err = fmt.Errorf("%w: %w", ErrUpstream, err)
			}
			cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: upstream request failed", slog.Any("error", err))
			if fwd != nil {
				cfg.report(fwd.in, a, fwd.start, http.StatusBadGateway, err)
			}
			jsonrpcerr.WriteCode(w, http.StatusBadGateway, requestID(a), jsonrpcerr.CodeInternalError, "upstream unavailable")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var start time.Time
		if cfg.onDecision != nil {
			start = time.Now()
		}
		p, ok := authresult.FromContext(r.Context())
		if !ok {
			// A gateway never forwards unauthenticated requests, whatever
			// is (not) in front of it.
			err := authresult.NoCredentials()
			cfg.report(r, nil, start, err.Status(), err)
			jsonrpcerr.Write(w, nil, err, nil)
			return
		}
		a, ok := mcphandler.FromContext(r.Context())
		if !ok || a.Principal() != p {
			warnOnce.Do(func() { cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: "+errNotAdmitted.Error()) })
			err := authresult.Internal(errNotAdmitted)
			cfg.report(r, nil, start, err.Status(), err)
			jsonrpcerr.Write(w, nil, err, nil)
			return
		}
		var extra http.Header
		if cfg.upstreamHeaders != nil {
			var err error
			extra, err = cfg.upstreamHeaders(r.Context(), p)
			if err == nil && writesGuarded(extra) {
				err = authresult.Internal(errGuardedUpstreamHeader)
			}
			if err != nil {
				cfg.log.LogAttrs(r.Context(), slog.LevelError, "mcpauth: upstream credentials", slog.Any("error", err))
				cfg.report(r, a, start, authresult.As(err).Status(), err)
				jsonrpcerr.Write(w, requestID(a), err, nil)
				return
			}
		}
		// ReverseProxy copies the header of the request it is given: give
		// it the upstream's, built here once, on a copy of the client's
		// request (whose own header stays as it came).
		ctx := r.Context()
		if cfg.onDecision != nil {
			ctx = context.WithValue(ctx, admittedKey{}, &forward{in: r, start: start})
		}
		out := r.WithContext(ctx)
		out.Header = cfg.upstreamHeader(r, a, extra)
		rp.ServeHTTP(w, out)
	}), nil
}

// forward is what the decision hook needs of one forwarded request beyond
// its admission (in its context already), carried in its context only when
// a hook listens.
type forward struct {
	in    *http.Request // the client's request
	start time.Time     // when the proxy began
}
