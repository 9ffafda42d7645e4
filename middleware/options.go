package middleware

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/decision"
	"github.com/mcpauth/mcpauth/internal/loopback"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// DefaultMaxTokenBytes caps the size of a bearer token when
// Options.MaxTokenBytes is zero.
const DefaultMaxTokenBytes = 8 << 10

// DefaultBodyReadTimeout bounds the body reads of the authentication layer
// when Options.BodyReadTimeout is zero.
const DefaultBodyReadTimeout = time.Second

// Options configures an [Authenticator]. A nil *Options, and every zero
// field, means the documented safe default.
type Options struct {
	// Resource is this server's resource identifier (RFC 8707, RFC 9728
	// "resource"), such as "https://mcp.example.com/mcp": an absolute
	// https URL (http only for loopback hosts) without a fragment. When
	// set, AuthorizationServers is required, the protected resource
	// metadata handler is available, and challenges carry
	// resource_metadata. Empty means no metadata.
	Resource string
	// AuthorizationServers are the issuer URLs of the authorization
	// servers that issue tokens for Resource (RFC 9728
	// "authorization_servers"). At least one is required with Resource.
	AuthorizationServers []string
	// ResourceMetadataURL overrides where the metadata document is said
	// to be. Default: the path-inserted well-known URL derived from
	// Resource, such as
	// "https://mcp.example.com/.well-known/oauth-protected-resource/mcp".
	ResourceMetadataURL string
	// ResourceName is a human-readable name for the metadata document.
	ResourceName string
	// Scopes are the scopes this server understands, advertised as
	// "scopes_supported". Each must be a valid RFC 6749 scope-token.
	Scopes []string
	// ChallengeScopes are the scopes a 401 challenge asks for: the least a
	// client needs to connect, which MCP clients request before they fall
	// back to scopes_supported. Operations that need more are answered 403
	// insufficient_scope naming what they need, so a client steps up only
	// when it must. Default: Scopes. Each must be one of Scopes.
	ChallengeScopes []string
	// Realm is sent as the challenge's realm when not empty.
	Realm string
	// Logger receives decisions and misconfigurations. Tokens are never
	// logged. Nil discards.
	Logger *slog.Logger
	// OnDecision, if set, receives the decision of every request this
	// layer decides (layer "authentication"), allowed or refused, for
	// metrics and audit; see package decision. Use the same hook for the
	// guard and the proxy.
	OnDecision decision.Hook
	// MaxPeekBytes caps how much of a failed request's body is read to
	// echo its JSON-RPC id, or to look for a token in a form body.
	// Default jsonrpcerr.DefaultMaxPeekBytes.
	MaxPeekBytes int64
	// BodyReadTimeout bounds how long those reads wait for the body, so
	// that a client without valid credentials that sends its body slowly
	// gets its answer anyway (the id is then null). It needs a response
	// writer that supports read deadlines (net/http's does). Default
	// DefaultBodyReadTimeout.
	BodyReadTimeout time.Duration
	// MaxTokenBytes caps the bearer token's length; longer tokens are
	// refused with 400 before any verifier runs. Default
	// DefaultMaxTokenBytes.
	MaxTokenBytes int
}

// config is Options validated and prepared for the request path.
type config struct {
	challenge      jsonrpcerr.Challenge
	resource       string
	authServers    []string
	resourceName   string
	scopes         []string
	metadataPaths  []string
	log            *slog.Logger
	onDecision     decision.Hook
	maxBodyBytes   int64
	bodyTimeout    time.Duration
	maxTokenBytes  int
	metadataConfig bool
}

// errConfig is wrapped by every configuration error.
var errConfig = errors.New("middleware: invalid options")

func newConfig(o *Options) (*config, error) {
	if o == nil {
		o = &Options{}
	}
	c := &config{
		log:           o.Logger,
		onDecision:    o.OnDecision,
		maxBodyBytes:  o.MaxPeekBytes,
		bodyTimeout:   o.BodyReadTimeout,
		maxTokenBytes: o.MaxTokenBytes,
		resourceName:  o.ResourceName,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.maxBodyBytes < 0:
		return nil, fmt.Errorf("%w: MaxPeekBytes %d is negative", errConfig, c.maxBodyBytes)
	case c.maxBodyBytes == 0:
		c.maxBodyBytes = jsonrpcerr.DefaultMaxPeekBytes
	}
	switch {
	case c.bodyTimeout < 0:
		return nil, fmt.Errorf("%w: BodyReadTimeout %v is negative", errConfig, c.bodyTimeout)
	case c.bodyTimeout == 0:
		c.bodyTimeout = DefaultBodyReadTimeout
	}
	switch {
	case c.maxTokenBytes < 0:
		return nil, fmt.Errorf("%w: MaxTokenBytes %d is negative", errConfig, c.maxTokenBytes)
	case c.maxTokenBytes == 0:
		c.maxTokenBytes = DefaultMaxTokenBytes
	}
	for _, s := range o.Scopes {
		if !authresult.ValidScope(s) {
			return nil, fmt.Errorf("%w: scope %q is not an RFC 6749 scope-token", errConfig, s)
		}
	}
	c.scopes = append([]string(nil), o.Scopes...)
	challenge := c.scopes
	if o.ChallengeScopes != nil {
		challenge = append([]string{}, o.ChallengeScopes...)
		for _, s := range challenge {
			if !slices.Contains(c.scopes, s) {
				return nil, fmt.Errorf("%w: challenge scope %q is not one of Scopes", errConfig, s)
			}
		}
	}
	if strings.ContainsFunc(o.Realm, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) {
		return nil, fmt.Errorf("%w: realm %q has control or non-ASCII characters", errConfig, o.Realm)
	}
	c.challenge = jsonrpcerr.Challenge{Realm: o.Realm, Scopes: challenge}

	if o.Resource == "" {
		if len(o.AuthorizationServers) > 0 || o.ResourceMetadataURL != "" {
			return nil, fmt.Errorf("%w: AuthorizationServers and ResourceMetadataURL need Resource", errConfig)
		}
		return c, nil
	}
	res, err := checkURL("Resource", o.Resource)
	if err != nil {
		return nil, err
	}
	c.resource = o.Resource
	if len(o.AuthorizationServers) == 0 {
		return nil, fmt.Errorf("%w: Resource needs at least one authorization server", errConfig)
	}
	for _, as := range o.AuthorizationServers {
		if _, err := checkURL("authorization server", as); err != nil {
			return nil, err
		}
	}
	c.authServers = append([]string(nil), o.AuthorizationServers...)

	// RFC 9728 §3.1: insert the well-known segment between host and path.
	suffix := strings.TrimSuffix(res.EscapedPath(), "/")
	c.metadataPaths = []string{wellKnown + suffix}
	if suffix != "" {
		c.metadataPaths = append(c.metadataPaths, wellKnown)
	}
	c.challenge.ResourceMetadata = res.Scheme + "://" + res.Host + c.metadataPaths[0]
	if o.ResourceMetadataURL != "" {
		if _, err := checkURL("ResourceMetadataURL", o.ResourceMetadataURL); err != nil {
			return nil, err
		}
		c.challenge.ResourceMetadata = o.ResourceMetadataURL
	}
	if strings.ContainsAny(c.challenge.ResourceMetadata, `"\`) {
		return nil, fmt.Errorf("%w: ResourceMetadataURL %q has quotes or backslashes", errConfig, c.challenge.ResourceMetadata)
	}
	c.metadataConfig = true
	return c, nil
}

// wellKnown is the RFC 9728 §3 well-known path.
const wellKnown = "/.well-known/oauth-protected-resource"

// checkURL requires an absolute https URL (http for loopback hosts) with a
// host and no fragment or user info.
func checkURL(what, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %s %q: %w", errConfig, what, s, err)
	case u.Host == "" || !u.IsAbs():
		return nil, fmt.Errorf("%w: %s %q is not an absolute URL", errConfig, what, s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return nil, fmt.Errorf("%w: %s %q has a fragment", errConfig, what, s)
	case u.User != nil:
		return nil, fmt.Errorf("%w: %s %q has user info", errConfig, what, s)
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
	default:
		return nil, fmt.Errorf("%w: %s %q must use https (http only on loopback)", errConfig, what, s)
	}
	return u, nil
}
