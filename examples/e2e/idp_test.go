package e2e

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// idpOptions configure ts/idp.mjs, the oidc-provider authorization server
// of the end-to-end tests. Every zero field means idp.mjs's default.
type idpOptions struct {
	// Resources are the resource indicators tokens may be asked for
	// (RESOURCES). Empty accepts any absolute http(s) URL.
	Resources []string
	// Format is the access token format (ACCESS_TOKEN_FORMAT): "jwt"
	// (default) or "opaque".
	Format string
	// Alg signs JWT access tokens (ACCESS_TOKEN_ALG): "RS256" (default)
	// or "ES256".
	Alg string
	// TTL is the access token lifetime (ACCESS_TOKEN_TTL), in whole
	// seconds; default 300 s.
	TTL time.Duration
	// NBF adds "nbf" to JWT access tokens (JWT_NBF=1).
	NBF bool
	// GrantScopes are the resource scopes consent grants (GRANT_SCOPES);
	// nil means mcp:read, an empty non-nil slice none.
	GrantScopes []string
	// Subject logs in (IDP_SUBJECT); default alice.
	Subject string
	// IntrospectionClientID and IntrospectionClientSecret are the
	// confidential client that may introspect and revoke every token
	// (defaults mcp-server and idpIntrospectionSecret).
	IntrospectionClientID, IntrospectionClientSecret string
}

// The introspection client's defaults, as in idp.mjs.
const (
	idpIntrospectionID     = "mcp-server"
	idpIntrospectionSecret = "mcp-server-introspection-secret-0123456789abcdef0123456789abcdef"
)

// idpRedirectURI is the redirect URI of the clients Tokens registers. It
// is never served: the code is read from the redirect that points there.
const idpRedirectURI = "http://127.0.0.1:1/callback"

// idp is a running idp.mjs.
type idp struct {
	// Issuer is the issuer URL, http://127.0.0.1:<port>, without a slash.
	Issuer string
	// Metadata is its discovery document
	// (/.well-known/openid-configuration).
	Metadata idpMetadata

	introID, introSecret string
	client               *http.Client // follows no redirects
}

// idpMetadata is what the tests use of the discovery document.
type idpMetadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
}

// idpState is GET /__test/state.
type idpState struct {
	Issuer            string   `json:"issuer"`
	SigningKID        string   `json:"signing_kid"`
	SigningAlg        string   `json:"signing_alg"`
	KIDs              []string `json:"kids"`
	IDTokenKID        string   `json:"id_token_kid"`
	AccessTokenFormat string   `json:"access_token_format"`
	AccessTokenTTL    int      `json:"access_token_ttl"`
	Introspection     struct {
		Mode    string `json:"mode"`
		DelayMS int    `json:"delay_ms"`
		Calls   int    `json:"calls"`
	} `json:"introspection"`
	SkewSeconds int    `json:"skew_seconds"`
	Subject     string `json:"subject"`
	GrantScopes string `json:"grant_scopes"`
	// Resources is "*" or a list of resource indicators.
	Resources json.RawMessage `json:"resources"`
}

// idpTokens is a token response, with the client it was issued to.
type idpTokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	// ClientID is the public client Tokens registered.
	ClientID string `json:"-"`
}

var sourcesOnce sync.Once

// startIdP runs ts/idp.mjs on a free loopback port and waits until it
// listens. It is stopped when the test ends, and within three minutes in
// any case. Where Node or the pinned packages cannot be had, or idp.mjs
// does not start, the test is skipped with the reason, except under CI,
// where that is a failure.
func startIdP(t *testing.T, opts idpOptions) *idp {
	t.Helper()
	node := needNode(t)
	// Opening the sources is what puts idp.mjs, its package files and the
	// rest in the test cache's key (see readSources), as binary does.
	sourcesOnce.Do(func() { _ = readSources() })

	env := map[string]string{
		"IDP_PORT":                    "0",
		"RESOURCES":                   strings.Join(opts.Resources, ","),
		"ACCESS_TOKEN_FORMAT":         opts.Format,
		"ACCESS_TOKEN_ALG":            opts.Alg,
		"ACCESS_TOKEN_TTL":            "",
		"JWT_NBF":                     "",
		"GRANT_SCOPES":                "mcp:read",
		"IDP_SUBJECT":                 opts.Subject,
		"INTROSPECTION_CLIENT_ID":     opts.IntrospectionClientID,
		"INTROSPECTION_CLIENT_SECRET": opts.IntrospectionClientSecret,
	}
	if opts.TTL != 0 {
		env["ACCESS_TOKEN_TTL"] = strconv.Itoa(int(opts.TTL / time.Second))
	}
	if opts.NBF {
		env["JWT_NBF"] = "1"
	}
	if opts.GrantScopes != nil {
		env["GRANT_SCOPES"] = strings.Join(opts.GrantScopes, " ")
	}
	secret(opts.IntrospectionClientSecret)
	p := &idp{
		introID:     opts.IntrospectionClientID,
		introSecret: opts.IntrospectionClientSecret,
		client: &http.Client{
			Timeout:       15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if p.introID == "" {
		p.introID = idpIntrospectionID
	}
	if p.introSecret == "" {
		p.introSecret = idpIntrospectionSecret
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, node, "idp.mjs")
	cmd.Dir = tsDir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = &testWriter{t: t, prefix: "idp: "}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	if err := cmd.Start(); err != nil {
		cancel()
		idpUnavailable(t, "node idp.mjs: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "IDP_LISTENING "); ok {
				listening <- u
			}
		}
		close(listening)
	}()
	select {
	case u, ok := <-listening:
		if !ok {
			idpUnavailable(t, "idp.mjs exited before listening (its stderr is above)")
		}
		p.Issuer = u
	case <-time.After(30 * time.Second):
		idpUnavailable(t, "idp.mjs did not listen within 30s")
	}

	resp, err := p.client.Get(p.Issuer + "/.well-known/openid-configuration")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&p.Metadata))
	require.Equal(t, p.Issuer, p.Metadata.Issuer)
	return p
}

// idpUnavailable skips the test, or fails it under CI.
func idpUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("the authorization server of the end-to-end tests must start under CI: "+format, args...)
	}
	t.Skipf("end-to-end test skipped: "+format, args...)
}

// control calls a /__test/ endpoint and returns the state it answers.
func (p *idp) control(t *testing.T, method, route string, q url.Values) idpState {
	t.Helper()
	u := p.Issuer + "/__test/" + route
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	resp, err := p.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, u, b)
	var s idpState
	require.NoError(t, json.Unmarshal(b, &s), "%s", b)
	return s
}

// State returns the signing keys, introspection mode, clock skew and the
// rest of what the control endpoints set.
func (p *idp) State(t *testing.T) idpState {
	t.Helper()
	return p.control(t, http.MethodGet, "state", nil)
}

// Rotate adds a signing key for alg ("RS256" or "ES256") that signs access
// tokens from now on; retire drops the key it replaces from the JWKS. It
// returns the new key's kid.
func (p *idp) Rotate(t *testing.T, alg string, retire bool) string {
	t.Helper()
	q := url.Values{"alg": {alg}}
	if retire {
		q.Set("retire", "1")
	}
	return p.control(t, http.MethodPost, "rotate", q).SigningKID
}

// SetIntrospection makes the introspection endpoint answer normally
// ("ok"), close the connection ("down"), wait delay first ("slow"), or
// answer 500 ("500").
func (p *idp) SetIntrospection(t *testing.T, mode string, delay time.Duration) {
	t.Helper()
	q := url.Values{"mode": {mode}}
	if delay > 0 {
		q.Set("delay_ms", strconv.FormatInt(delay.Milliseconds(), 10))
	}
	p.control(t, http.MethodPost, "introspection", q)
}

// SetSkew shifts the provider's clock by skew (whole seconds): tokens
// issued afterwards have iat and exp that far from the real time.
func (p *idp) SetSkew(t *testing.T, skew time.Duration) {
	t.Helper()
	p.control(t, http.MethodPost, "clock", url.Values{"skew": {strconv.Itoa(int(skew / time.Second))}})
}

// SetGrant makes subject log in from now on (unless empty) and consent
// grant exactly scopes of those asked for.
func (p *idp) SetGrant(t *testing.T, subject string, scopes ...string) {
	t.Helper()
	q := url.Values{"scopes": {strings.Join(scopes, " ")}}
	if subject != "" {
		q.Set("subject", subject)
	}
	p.control(t, http.MethodPost, "grant", q)
}

// SetTokens changes the access token format ("jwt" or "opaque", unless
// empty) and lifetime (unless zero) from now on.
func (p *idp) SetTokens(t *testing.T, format string, ttl time.Duration) {
	t.Helper()
	q := url.Values{}
	if format != "" {
		q.Set("format", format)
	}
	if ttl != 0 {
		q.Set("ttl", strconv.Itoa(int(ttl/time.Second)))
	}
	p.control(t, http.MethodPost, "tokens", q)
}

// SetResources changes the accepted resource indicators; none accepts any.
func (p *idp) SetResources(t *testing.T, resources ...string) {
	t.Helper()
	p.control(t, http.MethodPost, "resources", url.Values{"resources": {strings.Join(resources, ",")}})
}

// JWKS returns the provider's published keys by kid.
func (p *idp) JWKS(t *testing.T) map[string]crypto.PublicKey {
	t.Helper()
	resp, err := p.client.Get(p.Metadata.JWKSURI)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var set struct {
		Keys []struct {
			Kty, Kid, Alg, Use, Crv, N, E, X, Y string
		} `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&set))
	b64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		switch {
		case k.Kty == "RSA":
			keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(b64(k.N)), E: int(new(big.Int).SetBytes(b64(k.E)).Int64())}
		case k.Kty == "EC" && k.Crv == "P-256":
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, b64(k.X)...), b64(k.Y)...))
			require.NoError(t, err)
			keys[k.Kid] = pub
		default:
			t.Fatalf("unexpected key in the JWKS: %+v", k)
		}
	}
	return keys
}

// Token returns an access token for resource with scopes; see Tokens.
func (p *idp) Token(t *testing.T, resource string, scopes ...string) string {
	t.Helper()
	return p.Tokens(t, resource, scopes...).AccessToken
}

// Tokens gets tokens without an MCP client and without a browser: it
// registers a public client, runs the authorization code flow with PKCE
// (S256) and the resource indicator by following the redirects with
// net/http, and exchanges the code. Resource may be empty (no resource
// indicator is sent then).
func (p *idp) Tokens(t *testing.T, resource string, scopes ...string) idpTokens {
	t.Helper()
	tok, err := p.authorize(resource, strings.Join(scopes, " "))
	require.NoError(t, err)
	secret(tok.AccessToken)
	secret(tok.RefreshToken)
	return tok
}

func (p *idp) authorize(resource, scope string) (idpTokens, error) {
	reg, err := json.Marshal(map[string]any{
		"client_name":                "mcpauth e2e",
		"redirect_uris":              []string{idpRedirectURI},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "none",
	})
	if err != nil {
		return idpTokens{}, err
	}
	var client struct {
		ClientID string `json:"client_id"`
	}
	if err := p.do(http.MethodPost, p.Metadata.RegistrationEndpoint, "application/json", strings.NewReader(string(reg)), nil, http.StatusCreated, &client); err != nil {
		return idpTokens{}, fmt.Errorf("registration: %w", err)
	}

	verifier := randomString()
	sum := sha256.Sum256([]byte(verifier))
	state := randomString()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {client.ClientID},
		"redirect_uri":          {idpRedirectURI},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	if resource != "" {
		q.Set("resource", resource)
	}
	code, err := p.follow(p.Metadata.AuthorizationEndpoint+"?"+q.Encode(), state)
	if err != nil {
		return idpTokens{}, err
	}

	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {idpRedirectURI},
		"code_verifier": {verifier},
		"client_id":     {client.ClientID},
	}
	if resource != "" {
		form.Set("resource", resource)
	}
	var tok idpTokens
	if err := p.do(http.MethodPost, p.Metadata.TokenEndpoint, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil, http.StatusOK, &tok); err != nil {
		return idpTokens{}, fmt.Errorf("token: %w", err)
	}
	tok.ClientID = client.ClientID
	return tok, nil
}

// follow plays the user agent from the authorization URL to the redirect
// URI: it follows redirects, keeping every cookie whatever its Expires
// says (the provider's clock may be skewed), and returns the code.
func (p *idp) follow(start, state string) (string, error) {
	cookies := map[string]string{}
	u, err := url.Parse(start)
	if err != nil {
		return "", err
	}
	for range 10 {
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		var pairs []string
		for k, v := range cookies {
			pairs = append(pairs, k+"="+v)
		}
		if len(pairs) > 0 {
			req.Header.Set("Cookie", strings.Join(pairs, "; "))
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return "", err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Value == "" {
				delete(cookies, c.Name)
			} else {
				cookies[c.Name] = c.Value
			}
		}
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return "", fmt.Errorf("authorization stopped at %s with %d: %s", u.Path, resp.StatusCode, body)
		}
		next, err := u.Parse(loc)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(next.String(), idpRedirectURI+"?") {
			r := next.Query()
			switch {
			case r.Get("error") != "":
				return "", fmt.Errorf("authorization refused: %s %s", r.Get("error"), r.Get("error_description"))
			case r.Get("state") != state:
				return "", fmt.Errorf("state %q came back, want %q", r.Get("state"), state)
			case r.Get("code") == "":
				return "", fmt.Errorf("no code in %s", next)
			}
			return r.Get("code"), nil
		}
		u = next
	}
	return "", fmt.Errorf("more than 10 redirects from %s", start)
}

// Refresh exchanges tok's refresh token for new tokens (RFC 6749 §6).
func (p *idp) Refresh(t *testing.T, tok idpTokens, resource string) idpTokens {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {tok.ClientID}}
	if resource != "" {
		form.Set("resource", resource)
	}
	var out idpTokens
	require.NoError(t, p.do(http.MethodPost, p.Metadata.TokenEndpoint, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil, http.StatusOK, &out))
	out.ClientID = tok.ClientID
	return out
}

// Introspect introspects token (RFC 7662) as the introspection client,
// requiring a 200 answer, and returns its members.
func (p *idp) Introspect(t *testing.T, token string) map[string]any {
	t.Helper()
	status, body, err := p.IntrospectRaw(token, false)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "introspection: %s", body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "%s", body)
	return m
}

// IntrospectRaw introspects token as the introspection client with
// client_secret_basic, or client_secret_post when post is set, and
// returns the status and body; err is a transport failure.
func (p *idp) IntrospectRaw(token string, post bool) (int, []byte, error) {
	return p.tokenRequest(p.Metadata.IntrospectionEndpoint, token, post)
}

// Revoke revokes token (RFC 7009) as the introspection client.
func (p *idp) Revoke(t *testing.T, token string) {
	t.Helper()
	status, body, err := p.tokenRequest(p.Metadata.RevocationEndpoint, token, false)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "revocation: %s", body)
}

func (p *idp) tokenRequest(endpoint, token string, post bool) (int, []byte, error) {
	form := url.Values{"token": {token}}
	h := http.Header{}
	if post {
		form.Set("client_id", p.introID)
		form.Set("client_secret", p.introSecret)
	} else {
		// RFC 6749 §2.3.1: both form-encoded before Basic.
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(p.introID)+":"+url.QueryEscape(p.introSecret))))
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// do sends a request and decodes a JSON answer of status want into out.
func (p *idp) do(method, u, contentType string, body io.Reader, h http.Header, want int, out any) error {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// randomString is 32 random bytes in base64url: a PKCE verifier or state.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
