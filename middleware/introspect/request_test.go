package introspect

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/fetch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientAuthentication: RFC 6749 §2.3.1. Basic form-urlencodes the id
// and the secret before joining them with ':'; post sends them as form
// fields. Either way the endpoint gets the exact credentials.
func TestClientAuthentication(t *testing.T) {
	for _, tc := range []struct {
		method string
		basic  bool
	}{
		{"", true},
		{AuthClientSecretBasic, true},
		{AuthClientSecretPost, false},
	} {
		t.Run("method="+tc.method, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.AuthMethod = tc.method })
			tok := e.token()
			_, err := e.verify(tok)
			require.NoError(t, err)
			r := e.as.request()
			assert.Equal(t, http.MethodPost, r.method)
			assert.Equal(t, "application/x-www-form-urlencoded", r.contentType)
			assert.Equal(t, "application/json", r.accept)
			assert.Equal(t, []string{tok}, r.form["token"])
			assert.Equal(t, []string{"access_token"}, r.form["token_type_hint"])
			if !tc.basic {
				assert.Empty(t, r.authorization)
				assert.Equal(t, []string{testClientID}, r.form["client_id"])
				assert.Equal(t, []string{testSecret}, r.form["client_secret"])
				assert.Len(t, r.form, 4)
				return
			}
			assert.Len(t, r.form, 2, "no credentials in the form")
			raw, ok := strings.CutPrefix(r.authorization, "Basic ")
			require.True(t, ok, r.authorization)
			dec, err := base64.StdEncoding.DecodeString(raw)
			require.NoError(t, err)
			id, secret, ok := strings.Cut(string(dec), ":")
			require.True(t, ok)
			assert.Equal(t, "mcp%3Aserver%251+%C3%A9", id, "':', '%', ' ' and 'é' encoded")
			assert.Equal(t, "p%40ss%3Aw%25rd%2B%2F+%3D%26x", secret)
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
			assert.Equal(t, testClientID, id)
			assert.Equal(t, testSecret, secret)
		})
	}
}

// TestTransportFailures: whatever goes wrong between this server and the
// endpoint is an outage, 503 with Retry-After, never 401 or 500.
func TestTransportFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		cause   error
		also    error
	}{
		{name: "slow beyond timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, cause: ErrUnavailable, also: context.DeadlineExceeded},
		{name: "slow body beyond timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"active":`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, cause: ErrUnavailable, also: context.DeadlineExceeded},
		{name: "connection closed", handler: func(w http.ResponseWriter, r *http.Request) {
			c, _, err := w.(http.Hijacker).Hijack()
			if assert.NoError(t, err) {
				_ = c.Close()
			}
		}, cause: ErrUnavailable},
		{name: "closed mid-body", handler: func(w http.ResponseWriter, r *http.Request) {
			c, buf, err := w.(http.Hijacker).Hijack()
			if assert.NoError(t, err) {
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"active\":true,")
				_ = buf.Flush()
				_ = c.Close()
			}
		}, cause: ErrUnavailable},
		{name: "garbage instead of HTTP", handler: func(w http.ResponseWriter, r *http.Request) {
			c, buf, err := w.(http.Hijacker).Hijack()
			if assert.NoError(t, err) {
				_, _ = buf.WriteString("SSH-2.0-OpenSSH\r\n\r\n")
				_ = buf.Flush()
				_ = c.Close()
			}
		}, cause: ErrUnavailable},
		{name: "declared too large", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "70000")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, activeBody())
		}, cause: ErrResponse},
		{name: "chunked too large", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"active":true,"pad":"`)
			for range 70 {
				_, _ = io.WriteString(w, strings.Repeat("x", 1024))
				w.(http.Flusher).Flush()
			}
			_, _ = io.WriteString(w, `"}`)
		}, cause: ErrResponse},
		{name: "redirect to another origin", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost:1/introspect", http.StatusTemporaryRedirect)
		}, cause: ErrUnavailable, also: fetch.ErrCrossOriginRedirect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.Timeout = 100 * time.Millisecond })
			e.as.setHandler(tc.handler)
			p, err := e.verify(e.token())
			assert.Nil(t, p)
			ae := requireKind(t, err, authresult.KindUnavailable, tc.cause)
			if tc.also != nil {
				assert.ErrorIs(t, err, tc.also)
			}
			assert.Equal(t, defaultRetryAfter, ae.RetryAfter)
			assert.Contains(t, e.logs.String(), "level=WARN")
		})
	}
}

func TestEndpointUnreachable(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RetryAfter = 7 * time.Second })
	e.as.srv.Close()
	_, err := e.verify(e.token())
	ae := requireKind(t, err, authresult.KindUnavailable, ErrUnavailable)
	assert.Equal(t, 7*time.Second, ae.RetryAfter)
}

// TestCredentialsRefused: a 401 or 403 from the endpoint says this
// server's credentials are wrong: an outage logged at error level, not a
// verdict on the client's token.
func TestCredentialsRefused(t *testing.T) {
	for _, status := range []int{401, 403} {
		e := newEnv(t, nil)
		e.as.set(status, `{"error":"invalid_client"}`)
		_, err := e.verify(e.token())
		requireKind(t, err, authresult.KindUnavailable, ErrCredentials)
		assert.Contains(t, e.logs.String(), "level=ERROR")
		assert.Contains(t, e.logs.String(), "refused this server's client credentials")
	}
}

// TestRedirects: redirects within the endpoint's origin are followed
// (credentials and body included); to another origin never, and that
// origin is not contacted.
func TestRedirects(t *testing.T) {
	other := newFakeAS(t)
	t.Run("same origin", func(t *testing.T) {
		e := newEnv(t, nil)
		e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
			e.as.setHandler(nil)
			e.as.set(200, activeBody())
			http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
		})
		tok := e.token()
		p, err := e.verify(tok)
		require.NoError(t, err)
		assert.Equal(t, "alice", p.Subject)
		assert.EqualValues(t, 2, e.as.calls.Load())
		assert.Equal(t, []string{tok}, e.as.request().form["token"])
		assert.NotEmpty(t, e.as.request().authorization)
	})
	t.Run("other origin", func(t *testing.T) {
		e := newEnv(t, nil)
		e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.url(), http.StatusTemporaryRedirect)
		})
		_, err := e.verify(e.token())
		requireKind(t, err, authresult.KindUnavailable, fetch.ErrCrossOriginRedirect)
		assert.Zero(t, other.calls.Load())
	})
	t.Run("client with its own CheckRedirect", func(t *testing.T) {
		e := newEnv(t, func(o *Options) {
			o.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		})
		e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.url(), http.StatusTemporaryRedirect)
		})
		_, err := e.verify(e.token())
		requireKind(t, err, authresult.KindUnavailable, ErrUnavailable)
		assert.Zero(t, other.calls.Load())
	})
}

func TestHTTPSEndpoint(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, activeBody())
	}))
	defer srv.Close()
	c := newClock()
	v, err := New(&Options{
		Endpoint: srv.URL, ClientID: "id", ClientSecret: "secret",
		Issuers: []string{testIss}, Audiences: []string{testAud},
		HTTPClient: srv.Client(), Now: c.Now,
	})
	require.NoError(t, err)
	p, err := v.VerifyToken(context.Background(), "opaque")
	require.NoError(t, err)
	assert.Equal(t, "alice", p.Subject)
}

// TestPanickingClient: a panic in a custom HTTP client is an internal
// error, logged with its stack; the process lives.
func TestPanickingClient(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { panic("transport bug") })}
	})
	_, err := e.verify(e.token())
	requireKind(t, err, authresult.KindInternal, errPanic)
	assert.Contains(t, e.logs.String(), "transport bug")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestCallerContext: a caller whose context has ended, or ends while
// waiting, gets 503 wrapping its context's error, which authresult
// classifies as unavailable too.
func TestCallerContext(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.v.VerifyToken(ctx, e.token())
	requireKind(t, err, authresult.KindUnavailable, context.Canceled)
	assert.Zero(t, e.as.calls.Load(), "nothing sent for a caller already gone")

	release := make(chan struct{})
	e.as.setHandler(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, activeBody())
	})
	defer close(release)
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = e.v.VerifyToken(ctx, e.token())
	requireKind(t, err, authresult.KindUnavailable, context.DeadlineExceeded)
	_, nerr := authresult.Normalize(nil, err)
	assert.Equal(t, authresult.KindUnavailable, authresult.As(nerr).Kind)
}
