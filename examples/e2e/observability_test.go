package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
)

// fakeIssuer is an authorization server reduced to what a resource
// server fetches, its metadata and its key set, that a test can take
// down: while down it answers every request with 503.
type fakeIssuer struct {
	*httptest.Server
	key *ecdsa.PrivateKey
	kid string

	mu   sync.Mutex
	down bool
}

func newFakeIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	f := &fakeIssuer{key: key, kid: "k1"}
	// Started only once f.Server is set: the handler reads f.URL.
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIssuer) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration":
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": f.URL, "jwks_uri": f.URL + "/jwks"})
	case "/jwks":
		pub, _ := f.key.PublicKey.ECDH()
		pt := pub.Bytes()
		b64 := base64.RawURLEncoding
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "kid": f.kid, "use": "sig", "alg": "ES256",
			"x": b64.EncodeToString(pt[1:33]), "y": b64.EncodeToString(pt[33:]),
		}}})
	default:
		http.NotFound(w, r)
	}
}

// mint signs an access token for subject with key (the issuer's when
// nil), registered as a secret the examples must not log.
func (f *fakeIssuer) mint(t *testing.T, key *ecdsa.PrivateKey, audience, subject, scope string) string {
	t.Helper()
	if key == nil {
		key = f.key
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": f.URL, "aud": audience, "sub": subject, "scope": scope, "client_id": "e2e",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = f.kid
	tok.Header["typ"] = "at+jwt"
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return secret(s)
}

// probe GETs a health path of the metrics listener.
func probe(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// scrape reads the Prometheus text of the metrics listener.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

// byLabels sums a family's counter values by the values of labels.
func byLabels(f *dto.MetricFamily, labels ...string) map[string]float64 {
	out := map[string]float64{}
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		var key []string
		for _, want := range labels {
			for _, l := range m.Label {
				if l.GetName() == want {
					key = append(key, l.GetValue())
				}
			}
		}
		switch {
		case m.Counter != nil:
			out[strings.Join(key, "/")] += m.Counter.GetValue()
		case m.Histogram != nil:
			out[strings.Join(key, "/")] += float64(m.Histogram.GetSampleCount())
		}
	}
	return out
}

// TestObservability runs examples/server with -metrics-addr in front of an
// authorization server that is down when it starts, and a real Redis:
// /readyz says "keys" until the first key set arrives (the server's own
// retry, a minute later) and "store" while Redis is down; a request during
// the outage is 503. Then a scripted mix (a valid call, no token, a forged
// token, a forbidden tool, another user's session) and the Prometheus
// counters by layer, outcome and reason, exactly.
func TestObservability(t *testing.T) {
	rds := redistest.Start(t)
	iss := newFakeIssuer(t)
	iss.setDown(true)
	const aud = "https://mcp.example.com/mcp"
	srv := startExample(t, binary(t, "server"), false,
		"-issuer", iss.URL, "-audience", aud, "-store", rds.URL(), "-metrics-addr", "127.0.0.1:0")
	require.NotEmpty(t, srv.metrics, "the example announces its metrics listener")
	a := newAttacker(t, srv)
	alice := iss.mint(t, nil, aud, "alice", "mcp:read")
	bob := iss.mint(t, nil, aud, "bob", "mcp:read")

	status, body := probe(t, srv.metrics, "/healthz")
	assert.Equal(t, http.StatusOK, status, "alive even while not ready")
	require.Eventually(t, func() bool {
		status, body = probe(t, srv.metrics, "/readyz")
		return status == http.StatusServiceUnavailable
	}, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, "keys\n", body, "not ready before the first key set: one word")
	status, hdr, _ := a.do(http.MethodPost, alice, nil, attackInit)
	assert.Equal(t, http.StatusServiceUnavailable, status, "the key server is down")
	assert.NotEmpty(t, hdr.Get("Retry-After"))

	iss.setDown(false)
	require.Eventually(t, func() bool {
		status, _ := probe(t, srv.metrics, "/readyz")
		return status == http.StatusOK
	}, 90*time.Second, 200*time.Millisecond, "ready once the retry fetches the keys")

	rds.Stop()
	status, body = probe(t, srv.metrics, "/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "store\n", body, "not ready while the store is down")
	rds.Restart()
	require.Eventually(t, func() bool {
		status, _ := probe(t, srv.metrics, "/readyz")
		return status == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "ready again with the store back")

	// The scripted mix.
	sid, version := a.session(alice)
	in := http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}
	call := func(tool string) string {
		return `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
	}
	status, _, body = a.do(http.MethodPost, alice, in, call("whoami"))
	require.Equal(t, http.StatusOK, status, body)
	status, _, _ = a.do(http.MethodPost, "", in, call("whoami"))
	require.Equal(t, http.StatusUnauthorized, status)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	status, _, _ = a.do(http.MethodPost, iss.mint(t, other, aud, "alice", "mcp:read mcp:admin"), in, call("whoami"))
	require.Equal(t, http.StatusUnauthorized, status, "forged")
	status, _, _ = a.do(http.MethodPost, alice, in, call("admin_stats"))
	require.Equal(t, http.StatusForbidden, status)
	status, _, _ = a.do(http.MethodPost, bob, in, call("whoami"))
	require.Equal(t, http.StatusNotFound, status, "another user's session")

	m := scrape(t, srv.metrics)
	assert.Equal(t, map[string]float64{
		"authentication/failed/unavailable":     1, // the key server was down
		"authentication/allowed/ok":             5, // initialize, initialized, whoami, admin_stats, bob's try
		"authentication/refused/no_credentials": 1,
		"authentication/refused/invalid_token":  1,
		"guard/allowed/ok":                      3, // initialize, initialized, whoami
		"guard/refused/insufficient_scope":      1,
		"guard/refused/session_not_found":       1,
	}, byLabels(m["mcpauth_decisions_total"], "layer", "outcome", "reason"))
	latencies := byLabels(m["mcpauth_decision_duration_seconds"], "layer")
	assert.Equal(t, 8.0, latencies["authentication"])
	assert.Equal(t, 5.0, latencies["guard"])
	fetches := byLabels(m["mcpauth_fetches_total"], "kind", "outcome")
	assert.Positive(t, fetches["discovery/failed"], "the outage shows as failed fetches")
	assert.Positive(t, fetches["discovery/ok"])
	assert.Positive(t, fetches["jwks/ok"])
	store := byLabels(m["mcpauth_store_operations_total"], "operation", "outcome")
	assert.Equal(t, 1.0, store["bind/ok"])
	// initialized, whoami and bob's try; the policy refuses admin_stats
	// before the session is looked up.
	assert.Equal(t, 3.0, store["check/ok"])
	assert.Contains(t, m, "go_goroutines", "the process's own metrics too")
}
