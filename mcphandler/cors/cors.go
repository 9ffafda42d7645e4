// Package cors lets browser MCP clients on other origins call a guarded
// MCP endpoint, with CORS derived from the guard's own
// Options.AllowedOrigins, so that CORS and the guard's Origin check cannot
// disagree: an origin is given CORS headers exactly when the guard admits
// its requests.
//
//	guard, err := mcphandler.New(server, &mcphandler.Options{AllowedOrigins: []string{"https://app.example.com"}, ...})
//	mux.Handle("/mcp", cors.New(guard, nil)(auth.Handler(guard)))
//
// Preflight requests (OPTIONS with Access-Control-Request-Method) carry no
// credentials, so they are answered here, before authentication, and never
// reach the guard or the server; other OPTIONS requests pass through. The
// request headers MCP clients send are allowed (Authorization,
// Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name,
// Last-Event-ID), and Mcp-Session-Id and WWW-Authenticate are exposed, so
// that a browser client can keep its session and follow a 401's
// resource_metadata. Credentials mode is off: MCP clients send bearer
// tokens, not cookies.
//
// The CORS protocol is github.com/rs/cors's; this package only derives its
// configuration, and is the only one that imports it.
package cors

import (
	"net/http"
	"time"

	rscors "github.com/rs/cors"

	"github.com/mcpauth/mcpauth/mcphandler"
)

// DefaultMaxAge is how long browsers may cache a preflight answer.
const DefaultMaxAge = 10 * time.Minute

// AllowedHeaders are the request headers a browser MCP client may send.
var AllowedHeaders = []string{"Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name", "Last-Event-ID"}

// ExposedHeaders are the response headers a browser MCP client may read.
var ExposedHeaders = []string{"Mcp-Session-Id", "WWW-Authenticate"}

// Options configures the CORS layer. A nil *Options means the defaults.
type Options struct {
	// MaxAge is how long a preflight answer may be cached; 0 means
	// DefaultMaxAge.
	MaxAge time.Duration
}

// New returns middleware answering CORS for the origins guard admits. Wrap
// the whole authenticated chain with it (outside the Authenticator), so
// that preflights are answered before authentication and refusals (401,
// 403) carry the CORS headers a browser needs to read them.
func New(guard *mcphandler.Handler, opts *Options) func(http.Handler) http.Handler {
	if guard == nil {
		panic("cors: New called with a nil guard")
	}
	if opts == nil {
		opts = &Options{}
	}
	maxAge := opts.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	c := rscors.New(rscors.Options{
		AllowOriginFunc: guard.AllowsOrigin,
		AllowedMethods:  []string{http.MethodGet, http.MethodPost, http.MethodDelete},
		AllowedHeaders:  AllowedHeaders,
		ExposedHeaders:  ExposedHeaders,
		MaxAge:          int(maxAge / time.Second),
	})
	return c.Handler
}
