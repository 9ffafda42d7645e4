package credentials

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mcpauth/mcpauth/internal/fetch"
)

// ErrResourceMismatch reports that the upstream's RFC 9728 metadata names another
// resource than the URL it was fetched for (RFC 9728 §3.3), so that it is
// not used (503).
var ErrResourceMismatch = fmt.Errorf("%w: the upstream's protected resource metadata names another resource", ErrUnavailable)

// upstreamResource returns the resource sent in an exchange: Resource,
// or the one discovered from the upstream once, or "" with Audience only.
// Concurrent exchanges share one discovery, and no lock is held while it
// runs (each caller waits only as long as its own exchange may last).
func (e *exchanger) upstreamResource(ctx context.Context) (string, error) {
	e.resMu.Lock()
	r := e.resource
	e.resMu.Unlock()
	if r != "" || e.o.Upstream == nil {
		return r, nil
	}
	ch := e.flight.DoChan(resourceFlight, func() (any, error) {
		r, err := e.discover(ctx)
		if err != nil {
			return "", unavailable(e.retryAfter, err)
		}
		e.resMu.Lock()
		e.resource = r
		e.resMu.Unlock()
		return r, nil
	})
	select {
	case <-ctx.Done():
		return "", unavailable(e.retryAfter, fmt.Errorf("%w: the upstream's resource metadata: %w", ErrUnavailable, ctx.Err()))
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	}
}

// resourceFlight is the flight key of the discovery; exchanges' keys are
// 32-byte digests, never this.
const resourceFlight = "upstream resource"

// discover fetches the upstream's protected resource metadata at the
// path-inserted well-known URL (RFC 9728 §3.1) and returns its resource,
// which must be the upstream's URL (§3.3); an upstream without metadata
// (any 4xx answer) is its own resource identifier. A 5xx or no answer is
// an outage, retried at the next exchange.
func (e *exchanger) discover(ctx context.Context) (string, error) {
	up := *e.o.Upstream
	up.RawQuery, up.Fragment, up.User = "", "", nil
	self := up.String()
	wk := up.Scheme + "://" + up.Host + "/.well-known/oauth-protected-resource" + strings.TrimSuffix(up.EscapedPath(), "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wk, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: the upstream's resource metadata: %w", ErrUnavailable, fetch.Redact(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		// No such document: many MCP servers answer any path they do
		// not serve with 400, 404 or 405.
		return self, nil
	default:
		return "", fmt.Errorf("%w: the upstream's resource metadata: status %d", ErrUnavailable, resp.StatusCode)
	}
	var md struct {
		Resource string `json:"resource"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil || len(body) > maxResponseBytes || json.Unmarshal(body, &md) != nil {
		return "", fmt.Errorf("%w: the upstream's resource metadata is not a JSON document within %d bytes", ErrUnavailable, maxResponseBytes)
	}
	if md.Resource != self {
		return "", fmt.Errorf("%w: %q, fetched for %q", ErrResourceMismatch, printable(md.Resource), self)
	}
	return md.Resource, nil
}

// base64Std is standard base64 with padding.
func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
