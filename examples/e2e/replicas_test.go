package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/internal/redistest"
)

// TestGatewayReplicas runs three examples/gateway processes sharing one
// real redis-server, in front of one go-sdk upstream, trusting one real
// authorization server, and a client that goes round the replicas: the
// owner's session works on every replica, on the one that made it after
// it is stopped and started again, and on one started later; another user with the id
// is 404 on every replica; a DELETE on one ends it on all; with Redis
// stopped every replica answers 503 and the upstream keeps no session it
// made meanwhile; with Redis back they recover.
func TestGatewayReplicas(t *testing.T) {
	rds := redistest.Start(t)
	p := startIdP(t, idpOptions{})
	up := goSDKCounted(t)
	const aud = "https://mcp.example.com/mcp"
	gateway := binary(t, "gateway")
	replica := func() *attacker {
		return newAttacker(t, startExample(t, gateway, false, "-upstream", up.url, "-issuer", p.Issuer, "-audience", aud, "-store", rds.URL()))
	}
	restart := func(gw *attacker) *attacker {
		gw.gw.stop()
		return replica()
	}
	gws := []*attacker{replica(), replica(), replica()}
	alice := p.Token(t, aud, "mcp:read")
	p.SetGrant(t, "bob", "mcp:read")
	bob := p.Token(t, aud, "mcp:read")

	sid, version := gws[0].session(alice)
	in := http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	for i, gw := range gws {
		status, _, body := gw.do(http.MethodPost, alice, in, list)
		assert.Equal(t, http.StatusOK, status, "the owner on replica %d: %s", i, body)
		status, _, _ = gw.do(http.MethodPost, bob, in, list)
		assert.Equal(t, http.StatusNotFound, status, "another user on replica %d", i)
	}
	gws[0] = restart(gws[0]) // the replica that made the session stops and comes back
	later := replica()
	for name, gw := range map[string]*attacker{"restarted": gws[0], "started later": later} {
		status, _, body := gw.do(http.MethodPost, alice, in, list)
		assert.Equal(t, http.StatusOK, status, "the %s replica serves the session: %s", name, body)
	}

	status, _, _ := gws[1].do(http.MethodDelete, alice, in, "")
	require.Equal(t, http.StatusNoContent, status)
	for i, gw := range append(gws, later) {
		status, _, _ := gw.do(http.MethodPost, alice, in, list)
		assert.Equal(t, http.StatusNotFound, status, "ended on replica %d", i)
	}

	live, _ := gws[2].session(alice)
	liveIn := http.Header{"Mcp-Session-Id": {live}, "Mcp-Protocol-Version": {version}}
	before := up.sessions(t)
	rds.Stop()
	for i, gw := range gws {
		status, hdr, _ := gw.do(http.MethodPost, alice, liveIn, list)
		assert.Equal(t, http.StatusServiceUnavailable, status, "replica %d, Redis down", i)
		assert.NotEmpty(t, hdr.Get("Retry-After"))
		status, hdr, _ = gw.do(http.MethodPost, alice, nil, attackInit)
		assert.Equal(t, http.StatusServiceUnavailable, status, "replica %d hands out no session it cannot bind", i)
		assert.Empty(t, hdr.Get("Mcp-Session-Id"))
	}
	require.Eventually(t, func() bool { return up.sessions(t) <= before }, 10*time.Second, 50*time.Millisecond,
		"the sessions the upstream made during the outage are ended")

	rds.Restart()
	require.Eventually(t, func() bool {
		status, _, _ := gws[0].do(http.MethodPost, alice, nil, attackInit)
		return status == http.StatusOK
	}, 15*time.Second, 100*time.Millisecond, "recovered without restarting a replica")
	status, _, _ = gws[1].do(http.MethodPost, alice, liveIn, list)
	assert.Equal(t, http.StatusNotFound, status, "Redis lost its data: the old session is unknown, never another user's")
}

// TestGatewayReplicasRateLimit: with -rate-limit 10/s and one Redis,
// three gateway replicas hold one principal to one bucket: over about 1.5
// seconds of requests going round the replicas, the burst plus the rate
// times the time are let through (within 3), the rest are 429 with
// Retry-After and the request's id; another principal is unaffected.
func TestGatewayReplicasRateLimit(t *testing.T) {
	rds := redistest.Start(t)
	p := startIdP(t, idpOptions{})
	up := goSDKCounted(t)
	const aud = "https://mcp.example.com/mcp"
	gateway := binary(t, "gateway")
	var gws []*attacker
	for range 3 {
		gws = append(gws, newAttacker(t, startExample(t, gateway, false, "-upstream", up.url, "-issuer", p.Issuer,
			"-audience", aud, "-store", rds.URL(), "-rate-limit", "10/s")))
	}
	alice := p.Token(t, aud, "mcp:read")
	p.SetGrant(t, "bob", "mcp:read")
	bob := p.Token(t, aud, "mcp:read")
	ping := `{"jsonrpc":"2.0","id":"r-7","method":"ping"}`
	allowed, limited := 0, 0
	start := time.Now()
	for i := 0; time.Since(start) < 1500*time.Millisecond; i++ {
		status, hdr, body := gws[i%3].do(http.MethodPost, alice, nil, ping)
		if status == http.StatusTooManyRequests {
			limited++
			assert.NotEmpty(t, hdr.Get("Retry-After"))
			assert.Contains(t, body, `"id":"r-7"`)
			assert.Contains(t, body, `-32029`)
		} else {
			allowed++
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	t.Logf("%d let through, %d limited in %.2fs; one bucket allows %.1f", allowed, limited, elapsed, 10+10*elapsed)
	assert.InDelta(t, 10+10*elapsed, float64(allowed), 3, "one bucket across the replicas")
	assert.Positive(t, limited)
	status, _, _ := gws[0].do(http.MethodPost, bob, nil, ping)
	assert.NotEqual(t, http.StatusTooManyRequests, status, "bob has his own bucket")
}
