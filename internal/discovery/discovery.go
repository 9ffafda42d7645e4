// Package discovery reads an authorization server's metadata from its
// issuer identifier alone: RFC 8414 first, OpenID Connect Discovery 1.0
// as the fallback. The document must name exactly the configured issuer
// (RFC 8414 §3.3, the mix-up defence), and every endpoint it gives must be
// https (http only on a loopback host).
package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
	"github.com/mcpauth/mcpauth/internal/loopback"
)

// MaxBytes caps a metadata document.
const MaxBytes = 256 << 10

// Metadata is the part of an authorization server's metadata mcpauth
// uses.
type Metadata struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	ScopesSupported       []string `json:"scopes_supported"`
}

// Errors of Fetch, wrapped with detail.
var (
	// ErrIssuerMismatch: the document names another issuer.
	ErrIssuerMismatch = errors.New("discovery: metadata names another issuer")
	// ErrDocument: no well-known URL answered with a metadata document.
	ErrDocument = errors.New("discovery: no metadata document")
	// ErrEndpoint: an endpoint of the document is not https (or http on
	// a loopback host).
	ErrEndpoint = errors.New("discovery: endpoint not https")
)

// URLs returns the well-known metadata URLs of issuer, in the order they
// are tried: RFC 8414's (the well-known segment inserted before the
// issuer's path) and OpenID Connect's (appended to it).
func URLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || !SecureURL(u) {
		return nil, fmt.Errorf("discovery: issuer %q is not an https URL without query or fragment (http only on loopback)", issuer)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	origin := u.Scheme + "://" + u.Host
	return []string{
		origin + "/.well-known/oauth-authorization-server" + path,
		origin + path + "/.well-known/openid-configuration",
	}, nil
}

// SecureURL reports whether u is https, or http on a loopback host.
func SecureURL(u *url.URL) bool {
	return u.Scheme == "https" || u.Scheme == "http" && loopback.Host(u.Hostname())
}

// Fetch fetches issuer's metadata with client. A document that names
// another issuer is refused at once (a mix-up is not an outage to route
// around); a URL that is not found or not a document sends Fetch to the
// next one.
func Fetch(ctx context.Context, client *http.Client, issuer string) (*Metadata, error) {
	urls, err := URLs(issuer)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range urls {
		md, err := fetchOne(ctx, client, u)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			errs = append(errs, err)
			continue
		}
		if md.Issuer != issuer {
			return nil, fmt.Errorf("%w: %s names %q, not %q", ErrIssuerMismatch, u, md.Issuer, issuer)
		}
		for _, e := range []string{md.JWKSURI, md.IntrospectionEndpoint, md.TokenEndpoint, md.AuthorizationEndpoint} {
			if e == "" {
				continue
			}
			if pu, err := url.Parse(e); err != nil || pu.Host == "" || !SecureURL(pu) {
				return nil, fmt.Errorf("%w: %q in %s", ErrEndpoint, e, u)
			}
		}
		return md, nil
	}
	return nil, fmt.Errorf("%w for %q: %w", ErrDocument, issuer, errors.Join(errs...))
}

// ambiguous reports whether the object body names a member twice, also
// in another letter case, which encoding/json would resolve silently.
func ambiguous(body []byte) bool {
	seen := map[string]bool{}
	dup := false
	ok := jsonscan.Object(body, func(key, _ []byte) {
		k, _ := jsonscan.Unquote(key)
		k = strings.ToLower(k)
		dup = dup || seen[k]
		seen[k] = true
	})
	return !ok || dup
}

func fetchOne(ctx context.Context, client *http.Client, u string) (*Metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("%s: status %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBytes {
		return nil, fmt.Errorf("%s: document over %d bytes", u, MaxBytes)
	}
	md, err := parse(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return md, nil
}

// parse reads a metadata document: one JSON object, no member named twice
// in any letter case, a non-empty issuer.
func parse(body []byte) (*Metadata, error) {
	if ambiguous(body) {
		return nil, errors.New("not one JSON object, or a member named twice (in any letter case)")
	}
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("not a metadata document: %w", err)
	}
	if md.Issuer == "" {
		return nil, errors.New("no issuer in the document")
	}
	return &md, nil
}
