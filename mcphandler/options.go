package mcphandler

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// DefaultMaxBodyBytes caps POST bodies when Options.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 4 << 20

// DefaultBodyReadTimeout bounds the read of a POST body when
// Options.BodyReadTimeout is zero.
const DefaultBodyReadTimeout = 30 * time.Second

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
	// default limits (at most 16 sessions per principal and route).
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
	// BodyReadTimeout bounds how long the guard waits for a POST body;
	// a body not received in time gets 408. It needs a response writer
	// that supports read deadlines (net/http's does). Default
	// DefaultBodyReadTimeout.
	BodyReadTimeout time.Duration
	// RateLimit, when set, limits each principal's requests: past it,
	// 429 with Retry-After. Nil means no limit.
	RateLimit *RateLimit
	// MaxStreams bounds the GET streams one principal holds open at once
	// on a route, with or without a session; one more gets 429. Default
	// DefaultMaxStreams.
	MaxStreams int
	// Route names the MCP endpoint in binding keys, so that a session made
	// on one endpoint cannot be used on another. Default: the request's
	// URL path.
	Route string
	// Logger receives refusals and misconfigurations. Nil discards.
	Logger *slog.Logger
	// OnDecision, if set, receives the guard's decision of every request
	// (layer "guard"): each refusal, with the reason of its check, and
	// each admitted request once its response is done (GET streams when
	// they end), with the status the client got, the method and tool,
	// and whether a tools/list answer was filtered. See package decision;
	// use the same hook for the authentication layer and the proxy.
	OnDecision decision.Hook
}

var errConfig = errors.New("mcphandler: invalid options")

type config struct {
	challenge   *jsonrpcerr.Challenge
	policy      *policy
	store       Store
	origins     map[string]bool
	maxBody     int64
	bodyTimeout time.Duration
	route       string
	maxStreams  int
	rateLimit   *RateLimit
	log         *slog.Logger
	onDecision  decision.Hook
	names       map[string]string // names to intern when reading bodies
}

func newConfig(o *Options) (*config, error) {
	if o == nil {
		o = &Options{}
	}
	c := &config{challenge: o.Challenge, store: o.Store, maxBody: o.MaxBodyBytes, bodyTimeout: o.BodyReadTimeout, route: o.Route, log: o.Logger, onDecision: o.OnDecision}
	var err error
	if c.policy, err = compilePolicy(o.Policy); err != nil {
		return nil, err
	}
	if c.policy != nil {
		c.names = c.policy.names
	}
	if c.challenge == nil {
		c.challenge = &jsonrpcerr.Challenge{}
	}
	if c.store == nil {
		c.store = NewMemoryStore(nil)
	}
	switch {
	case c.maxBody < 0:
		return nil, fmt.Errorf("%w: negative MaxBodyBytes", errConfig)
	case c.maxBody == 0:
		c.maxBody = DefaultMaxBodyBytes
	}
	switch {
	case c.bodyTimeout < 0:
		return nil, fmt.Errorf("%w: negative BodyReadTimeout", errConfig)
	case c.bodyTimeout == 0:
		c.bodyTimeout = DefaultBodyReadTimeout
	}
	if o.RateLimit != nil {
		if o.RateLimit.Limiter == nil {
			return nil, fmt.Errorf("%w: RateLimit without a Limiter", errConfig)
		}
		for name, l := range o.RateLimit.Tools {
			if l == nil || name == "" {
				return nil, fmt.Errorf("%w: RateLimit.Tools[%q] without a Limiter", errConfig, name)
			}
		}
		rl := *o.RateLimit
		c.rateLimit = &rl
	}
	switch c.maxStreams = o.MaxStreams; {
	case c.maxStreams < 0:
		return nil, fmt.Errorf("%w: negative MaxStreams", errConfig)
	case c.maxStreams == 0:
		c.maxStreams = DefaultMaxStreams
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
