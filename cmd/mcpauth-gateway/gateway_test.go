package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// freeAddr returns a loopback address nothing listens on, so that a
// configuration can name the gateway's public URL before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func TestCheckFlag(t *testing.T) {
	bin := gatewayBinary(t)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(good, []byte(goodConfig), 0o600))
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(goodConfig, "upstream:", "upstrem:", 1)), 0o600))
	out, err := exec.Command(bin, "-check", good).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, good+": ok\n", string(out))
	out, err = exec.Command(bin, "-check", bad).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Equal(t, "mcpauth-gateway: "+bad+":8: upstrem: unknown field (in RouteConfig)\n", string(out))
	// A bad file never starts.
	out, err = exec.Command(bin, "-config", bad).CombinedOutput()
	require.ErrorAs(t, err, &exit)
	assert.Contains(t, string(out), "upstrem: unknown field")
}

func TestGatewayProcess(t *testing.T) {
	iss, up := newIssuer(t), newUpstream(t)
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, dir, "first")
	addr := freeAddr(t)
	audience := "https://" + addr + "/mcp"
	config := fmt.Sprintf(`listen: %s
tls: {cert_file: %s, key_file: %s}
metrics: {listen: 127.0.0.1:0}
issuers:
  test: {issuer: %s}
routes:
  - path: /mcp
    upstream: %s
    issuers: [test]
    scopes: [mcp:read]
    policy:
      tools: {echo: [], whoami: [], admin_reset: [mcp:admin]}
`, addr, certFile, keyFile, iss.URL, up.URL)
	gw := startGateway(t, config)
	require.Equal(t, "https://"+addr, gw.base)
	rt := tlsTransport(cert)
	reader := iss.mint(t, audience, "reader@example.com", "mcp:read")
	admin := iss.mint(t, audience, "admin@example.com", "mcp:read mcp:admin")

	t.Run("no token: 401 pointing at the metadata, over HTTP/2", func(t *testing.T) {
		resp, body := post(t, rt, gw.base+"/mcp", "", `{"jsonrpc":"2.0","id":7,"method":"initialize","params":{}}`)
		assert.Equal(t, 401, resp.StatusCode)
		assert.Equal(t, 2, resp.ProtoMajor, "HTTP/2 over TLS")
		metadata := "https://" + addr + "/.well-known/oauth-protected-resource/mcp"
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `resource_metadata="`+metadata+`"`)
		assert.Contains(t, body, `"id":7`)
		resp, body = get(t, rt, metadata)
		require.Equal(t, 200, resp.StatusCode)
		var md struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &md))
		assert.Equal(t, audience, md.Resource)
		assert.Equal(t, []string{iss.URL}, md.AuthorizationServers)
	})
	t.Run("reader: tools filtered, admin tool refused", func(t *testing.T) {
		cs, err := connect(t, gw.base+"/mcp", reader, rt)
		require.NoError(t, err)
		tools, err := cs.ListTools(t.Context(), nil)
		require.NoError(t, err)
		var names []string
		for _, tool := range tools.Tools {
			names = append(names, tool.Name)
		}
		slices.Sort(names)
		assert.Equal(t, []string{"echo", "whoami"}, names)
		text, err := callText(cs, "echo", map[string]any{"text": "hi"})
		require.NoError(t, err)
		assert.Equal(t, "hi", text)
		_, err = callText(cs, "admin_reset", nil)
		assert.ErrorContains(t, err, "Forbidden")
	})
	t.Run("admin may call the admin tool", func(t *testing.T) {
		cs, err := connect(t, gw.base+"/mcp", admin, rt)
		require.NoError(t, err)
		text, err := callText(cs, "admin_reset", nil)
		require.NoError(t, err)
		assert.Equal(t, "reset", text)
	})
	t.Run("another audience's token is refused", func(t *testing.T) {
		_, err := connect(t, gw.base+"/mcp", iss.mint(t, "https://other.example/mcp", "reader@example.com", "mcp:read"), rt)
		assert.ErrorContains(t, err, "Unauthorized")
	})
	t.Run("the upstream never sees a client's token", func(t *testing.T) {
		for _, a := range up.authorizations() {
			assert.Empty(t, a)
		}
	})
	t.Run("readiness and metrics", func(t *testing.T) {
		require.NotEmpty(t, gw.metrics)
		resp, body := get(t, http.DefaultTransport, gw.metrics+"/readyz")
		assert.Equal(t, 200, resp.StatusCode, body)
		_, body = get(t, http.DefaultTransport, gw.metrics+"/metrics")
		assert.Regexp(t, `(?m)^mcpauth_decisions_total\{layer="guard",.*outcome="refused",reason="insufficient_scope"\} 1$`, body)
	})
	t.Run("a renewed certificate is served without a restart", func(t *testing.T) {
		_, _, second := selfSigned(t, dir, "second")
		require.Eventually(t, func() bool {
			conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reading which certificate is served
			if err != nil {
				return false
			}
			defer conn.Close()
			return conn.ConnectionState().PeerCertificates[0].SerialNumber.Cmp(second.SerialNumber) == 0
		}, 10*time.Second, 100*time.Millisecond)
		resp, _ := get(t, tlsTransport(second), gw.base+"/.well-known/oauth-protected-resource/mcp")
		assert.Equal(t, 200, resp.StatusCode)
	})
	t.Run("SIGTERM shuts down cleanly", func(t *testing.T) {
		require.NoError(t, gw.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case <-gw.exited:
		case <-time.After(15 * time.Second):
			t.Fatal("no exit within 15s of SIGTERM")
		}
		assert.Equal(t, 0, gw.cmd.ProcessState.ExitCode(), gw.log())
	})
}

// post sends a JSON-RPC body with token (none when empty).
func post(t *testing.T, rt http.RoundTripper, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: rt, Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestReloadUnderLoad rewrites the policy while clients call a tool both
// policies allow: no call may fail, each policy takes effect, and a bad
// file or a change that needs a restart leaves the running policy.
func TestReloadUnderLoad(t *testing.T) {
	iss, up := newIssuer(t), newUpstream(t)
	addr := freeAddr(t)
	audience := "http://" + addr + "/mcp"
	configWith := func(tools string) string {
		return fmt.Sprintf("listen: %s\nissuers:\n  test: {issuer: %s}\nroutes:\n  - path: /mcp\n    upstream: %s\n    issuers: [test]\n    policy:\n      tools: %s\n", addr, iss.URL, up.URL, tools)
	}
	v1, v2 := configWith("{echo: []}"), configWith("{echo: [], whoami: []}")
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	require.NoError(t, os.WriteFile(file, []byte(v1), 0o600))
	gw := startGatewayFile(t, gatewayBinary(t), file)
	token := iss.mint(t, audience, "user@example.com", "")

	var calls, failures atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		// One user each: a user's open streams are bounded.
		cs, err := connect(t, gw.base+"/mcp", iss.mint(t, audience, fmt.Sprintf("user%d@example.com", i), ""), nil)
		require.NoError(t, err)
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				calls.Add(1)
				if _, err := callText(cs, "echo", map[string]any{"text": "x"}); err != nil {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	probe, err := connect(t, gw.base+"/mcp", token, nil)
	require.NoError(t, err)
	// whoamiAllowed calls whoami: true when it runs, false when the policy
	// refuses it, and fails the test on any other outcome.
	whoamiAllowed := func() bool {
		_, err := callText(probe, "whoami", nil)
		if err != nil && !strings.Contains(err.Error(), "Forbidden") {
			t.Fatalf("whoami failed other than by policy: %v", err)
		}
		return err == nil
	}
	require.False(t, whoamiAllowed())

	reloads := 0
	for i := range 3 {
		// By file change, then by SIGHUP after an in-place write.
		writeAtomic(t, file, []byte(v2))
		if i == 2 {
			require.NoError(t, gw.cmd.Process.Signal(syscall.SIGHUP))
		}
		require.Eventually(t, whoamiAllowed, 10*time.Second, 20*time.Millisecond, "policy v2 never applied")
		writeAtomic(t, file, []byte(v1))
		require.Eventually(t, func() bool { return !whoamiAllowed() }, 10*time.Second, 20*time.Millisecond, "policy v1 never applied")
		reloads += 2
	}
	// A bad file is refused: the running policy (v1) stays.
	writeAtomic(t, file, []byte(strings.Replace(v2, "tools:", "tool:", 1)))
	require.Eventually(t, func() bool { return strings.Contains(gw.log(), "configuration refused") }, 10*time.Second, 20*time.Millisecond)
	assert.Contains(t, gw.log(), "tool: unknown field")
	assert.False(t, whoamiAllowed())
	// So is a change only a restart applies.
	writeAtomic(t, file, []byte(strings.Replace(v2, "listen: "+addr, "listen: 127.0.0.1:1", 1)))
	require.Eventually(t, func() bool { return strings.Contains(gw.log(), "listen: changed; restart the gateway") }, 10*time.Second, 20*time.Millisecond)
	assert.False(t, whoamiAllowed())

	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d calls during %d reloads", calls.Load(), reloads)
	assert.Greater(t, calls.Load(), int64(20))
	assert.Zero(t, failures.Load(), "a call that both policies allow failed during a reload: %v", firstFailure.Load())
	assert.Equal(t, reloads, strings.Count(gw.log(), "configuration loaded"))
}

// tokenEndpoint is a local OAuth token endpoint for the client
// credentials grant and RFC 8693 token exchange.
func tokenEndpoint(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if !ok || id != "gateway" || secret != "gw-secret" || r.ParseForm() != nil {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		switch r.PostForm.Get("grant_type") {
		case "client_credentials":
			_, _ = io.WriteString(w, `{"access_token":"cc-token","token_type":"Bearer","expires_in":3600}`)
		case "urn:ietf:params:oauth:grant-type:token-exchange":
			var claims struct {
				Sub string `json:"sub"`
			}
			parts := strings.Split(r.PostForm.Get("subject_token"), ".")
			if len(parts) == 3 {
				b, _ := base64URL(parts[1])
				_ = json.Unmarshal(b, &claims)
			}
			if claims.Sub == "" || claims.Sub == "mallory@example.com" {
				w.WriteHeader(400)
				_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "x-" + strings.Split(claims.Sub, "@")[0] + "-" + strings.NewReplacer(":", "", "/", "").Replace(r.PostForm.Get("resource")),
				"token_type": "Bearer", "expires_in": 600, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})
		default:
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":"unsupported_grant_type"}`)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestUpstreamCredentialsProcess(t *testing.T) {
	iss, upCC, upTX := newIssuer(t), newUpstream(t), newUpstream(t)
	as := tokenEndpoint(t)
	addr := freeAddr(t)
	config := fmt.Sprintf(`listen: %s
issuers:
  test: {issuer: %s}
routes:
  - path: /cc/mcp
    upstream: %s/mcp
    issuers: [test]
    upstream_credentials:
      client_credentials: {token_url: %s/token, client_id: gateway, client_secret_env: GW_SECRET}
  - path: /tx/mcp
    upstream: %s/mcp
    issuers: [test]
    upstream_credentials:
      token_exchange: {token_url: %s/token, client_id: gateway, client_secret_env: GW_SECRET}
`, addr, iss.URL, upCC.URL, as.URL, upTX.URL, as.URL)
	gw := startGateway(t, config, "GW_SECRET=gw-secret")
	base := "http://" + addr
	resourceTX := strings.NewReplacer(":", "", "/", "").Replace(upTX.URL + "/mcp")

	for _, user := range []string{"alice", "bob"} {
		cs, err := connect(t, base+"/cc/mcp", iss.mint(t, base+"/cc/mcp", user+"@example.com", ""), nil)
		require.NoError(t, err)
		_, err = callText(cs, "whoami", nil)
		require.NoError(t, err)
		cs, err = connect(t, base+"/tx/mcp", iss.mint(t, base+"/tx/mcp", user+"@example.com", ""), nil)
		require.NoError(t, err)
		_, err = callText(cs, "whoami", nil)
		require.NoError(t, err)
	}
	for _, a := range upCC.authorizations() {
		assert.Equal(t, "Bearer cc-token", a, "client credentials: the gateway's own token")
	}
	var seen []string
	for _, a := range upTX.authorizations() {
		if !slices.Contains(seen, a) {
			seen = append(seen, a)
		}
	}
	assert.ElementsMatch(t, []string{"Bearer x-alice-" + resourceTX, "Bearer x-bob-" + resourceTX}, seen, "token exchange: each user's own token for this upstream")

	_, err := connect(t, base+"/tx/mcp", iss.mint(t, base+"/tx/mcp", "mallory@example.com", ""), nil)
	assert.ErrorContains(t, err, "Forbidden", "an exchange refused for the user is 403")

	as.Close()
	resp, body := post(t, http.DefaultTransport, base+"/tx/mcp", iss.mint(t, base+"/tx/mcp", "carol@example.com", ""),
		`{"jsonrpc":"2.0","id":"c1","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	assert.Equal(t, 503, resp.StatusCode, "the token endpoint down is 503")
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.Contains(t, body, `"id":"c1"`)
	assert.NotContains(t, gw.log(), "gw-secret")
}
