package introspect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/fetch"
)

// maxDrain is how much of an error response is read, so that the
// connection can be reused.
const maxDrain = 4 << 10

// introspect sends the introspection request (RFC 7662 §2.1) and returns
// the body of a 200 answer, read up to MaxResponseBytes. Every failure is
// an outage (503): what the endpoint says about the token is decided by
// the body alone.
func (v *Verifier) introspect(ctx context.Context, token string) ([]byte, *authresult.Error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	if v.basicAuth == "" {
		form.Set("client_id", v.clientID)
		form.Set("client_secret", v.clientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, authresult.Internal(fmt.Errorf("introspect: building the request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if v.basicAuth != "" {
		req.Header.Set("Authorization", v.basicAuth)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, unavailable(v.retryAfter, fmt.Errorf("%w: %w", ErrUnavailable, fetch.Redact(err)))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		return nil, unavailable(v.retryAfter, fmt.Errorf("%w: status %d", ErrCredentials, resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		return nil, unavailable(v.retryAfter, fmt.Errorf("%w: status %d", ErrUnavailable, resp.StatusCode))
	case resp.ContentLength > v.maxResponseBytes:
		return nil, unavailable(v.retryAfter, fmt.Errorf("%w: Content-Length %d exceeds %d bytes", ErrResponse, resp.ContentLength, v.maxResponseBytes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.maxResponseBytes+1))
	switch {
	case err != nil:
		return nil, unavailable(v.retryAfter, fmt.Errorf("%w: reading the response: %w", ErrUnavailable, fetch.Redact(err)))
	case int64(len(body)) > v.maxResponseBytes:
		return nil, unavailable(v.retryAfter, fmt.Errorf("%w: body exceeds %d bytes", ErrResponse, v.maxResponseBytes))
	}
	return body, nil
}
