package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/fetch"
)

// ClientOptions configures [ClientCredentials]. A nil *ClientOptions means
// the defaults.
type ClientOptions struct {
	// HTTPClient sends the token requests; nil means a client with a
	// 10-second timeout. Set a timeout on your own: a token request that
	// hangs holds every upstream request behind it.
	HTTPClient *http.Client
	// RetryAfter is the hint of the 503 a client gets while the token
	// endpoint fails; 0 means DefaultRetryAfter.
	RetryAfter time.Duration
	// TTL is how long a token whose response has no expires_in is used
	// before it is fetched again; 0 means DefaultClientTokenTTL.
	TTL time.Duration
}

// DefaultClientTokenTTL is how long ClientCredentials keeps a token that
// came without expires_in: never forever, since nothing would renew it.
const DefaultClientTokenTTL = 5 * time.Minute

// clientSource is the Source of ClientCredentials.
type clientSource struct {
	ts         oauth2.TokenSource
	retryAfter time.Duration
}

// ClientCredentials returns a Source that presents the gateway's own token
// from the client credentials grant of cfg (RFC 6749 §4.4) on every
// upstream request, whoever the principal is. The token is fetched on
// first use and renewed shortly before it expires, one fetch at a time
// (golang.org/x/oauth2's reuse of tokens); while the endpoint fails,
// requests get 503. It returns an error for a cfg without a client id or
// with a TokenURL that is not https (http only on a loopback host).
func ClientCredentials(cfg *clientcredentials.Config, opts *ClientOptions) (Source, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	if cfg == nil || cfg.ClientID == "" {
		return nil, errors.New("credentials: ClientCredentials: a client id is required")
	}
	if err := checkEndpoint(cfg.TokenURL); err != nil {
		return nil, fmt.Errorf("credentials: ClientCredentials: TokenURL %w", err)
	}
	retry, err := retryAfterOr(opts.RetryAfter)
	if err != nil {
		return nil, err
	}
	client := opts.HTTPClient
	if client == nil {
		// No redirects: the client secret would follow them.
		client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ttl := opts.TTL
	if ttl < 0 {
		return nil, errors.New("credentials: ClientCredentials: negative TTL")
	}
	if ttl == 0 {
		ttl = DefaultClientTokenTTL
	}
	c := *cfg
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	// oauth2's reuse (one fetch at a time, renewed before Expiry) around
	// a fetch that gives a token without expires_in an Expiry of its TTL.
	fetch := tokenFunc(func() (*oauth2.Token, error) {
		tok, err := c.Token(ctx)
		if err == nil && tok.Expiry.IsZero() {
			tok.Expiry = time.Now().Add(ttl)
		}
		return tok, err
	})
	return &clientSource{ts: oauth2.ReuseTokenSource(nil, fetch), retryAfter: retry}, nil
}

// tokenFunc is a func as an oauth2.TokenSource.
type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

// Headers returns Authorization with the gateway's current token.
func (s *clientSource) Headers(context.Context, *authresult.Principal) (http.Header, error) {
	tok, err := s.ts.Token()
	if err != nil {
		return nil, s.classify(err)
	}
	if !b64token(tok.AccessToken) || (tok.TokenType != "" && !equalFold(tok.Type(), "Bearer")) {
		return nil, unavailable(s.retryAfter, fmt.Errorf("%w: token_type %q", ErrResponse, printable(tok.TokenType)))
	}
	return http.Header{"Authorization": {"Bearer " + tok.AccessToken}}, nil
}

// classify turns a token fetch failure into a 503 of the right cause.
// golang.org/x/oauth2's errors quote neither the secret nor the body
// beyond what RetrieveError holds, which is not repeated here.
func (s *clientSource) classify(err error) *authresult.Error {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		if re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
			return unavailable(s.retryAfter, fmt.Errorf("%w: status %d, error %q", ErrClientRefused, re.Response.StatusCode, printable(re.ErrorCode)))
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return unavailable(s.retryAfter, fmt.Errorf("%w: status %d", ErrUnavailable, status))
	}
	if _, ok := errors.AsType[*url.Error](err); ok {
		return unavailable(s.retryAfter, fmt.Errorf("%w: %w", ErrUnavailable, fetch.Redact(err)))
	}
	return unavailable(s.retryAfter, fmt.Errorf("%w: %w", ErrResponse, err))
}
