package mcphandler

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// DefaultMaxBodyBytes caps POST bodies when Options.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 4 << 20

// protocolVersions are the MCP revisions the guard knows, oldest first.
var protocolVersions = []string{"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"}

// ProtocolVersions returns the MCP revisions the guard accepts in
// MCP-Protocol-Version, oldest first. Revisions from 2026-07-28 on have no
// protocol sessions.
func ProtocolVersions() []string { return slices.Clone(protocolVersions) }

// sessionless reports whether a revision has no protocol sessions.
func sessionless(version string) bool { return version >= "2026-07-28" }

// Options configures a [Handler]. A nil *Options, and every zero field,
// means the documented default.
type Options struct {
	// Challenge is sent with 401 and 403 answers, so clients learn where
	// to get a token; use middleware.Authenticator.Challenge. Nil sends a
	// bare Bearer challenge.
	Challenge *jsonrpcerr.Challenge
	// Policy authorizes each operation by scope. Nil lets every
	// authenticated principal make every call.
	Policy *Policy
	// Store holds session bindings. Nil means a fresh in-memory store with
	// default limits.
	Store Store
	// AllowedOrigins are the exact origins (such as
	// "https://app.example.com") whose browsers may call the server. A
	// request with any other Origin header gets 403, which defeats DNS
	// rebinding; so does a second Origin header. Requests without Origin
	// (non-browser clients) pass, and so do same-origin requests to a
	// loopback address (Origin http://127.0.0.1:8080 sent to Host
	// 127.0.0.1:8080), which a rebinding page cannot make.
	AllowedOrigins []string
	// MaxBodyBytes caps POST bodies; larger ones get 413. Default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Route names the MCP endpoint in binding keys, so that a session made
	// on one endpoint cannot be used on another. Default: the request's
	// URL path.
	Route string
	// Logger receives refusals and misconfigurations. Nil discards.
	Logger *slog.Logger
}

var errConfig = errors.New("mcphandler: invalid options")

type config struct {
	challenge *jsonrpcerr.Challenge
	policy    *policy
	store     Store
	origins   map[string]bool
	maxBody   int64
	route     string
	log       *slog.Logger
}

func newConfig(o *Options) (*config, error) {
	if o == nil {
		o = &Options{}
	}
	c := &config{challenge: o.Challenge, store: o.Store, maxBody: o.MaxBodyBytes, route: o.Route, log: o.Logger}
	var err error
	if c.policy, err = compilePolicy(o.Policy); err != nil {
		return nil, err
	}
	if c.challenge == nil {
		c.challenge = &jsonrpcerr.Challenge{}
	}
	if c.store == nil {
		c.store = NewMemoryStore(MemoryStoreOptions{})
	}
	switch {
	case c.maxBody < 0:
		return nil, fmt.Errorf("%w: negative MaxBodyBytes", errConfig)
	case c.maxBody == 0:
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.origins = map[string]bool{}
	for _, origin := range o.AllowedOrigins {
		norm, ok := normalizeOrigin(origin)
		if !ok {
			return nil, fmt.Errorf("%w: AllowedOrigins: %q is not scheme://host[:port]", errConfig, origin)
		}
		c.origins[norm] = true
	}
	return c, nil
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
