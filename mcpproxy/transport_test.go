package mcpproxy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/mcphandler"
)

// TestSteadyLoadKeepsConnections: at 16 concurrent requests, once the
// pool is warm, the proxy's own transport opens (almost) no upstream
// connection; http.DefaultTransport's settings (2 idle per host) open
// many.
func TestSteadyLoadKeepsConnections(t *testing.T) {
	const workers, rounds = 16, 20
	var opened, arrived atomic.Int32
	var warm chan struct{} // while set, requests wait until workers are in flight
	var warmMu sync.Mutex
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		warmMu.Lock()
		c := warm
		warmMu.Unlock()
		if c != nil {
			if arrived.Add(1) == workers {
				close(c)
			}
			<-c
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	up.Start()
	defer up.Close()
	u, err := url.Parse(up.URL)
	require.NoError(t, err)

	load := func(rt http.RoundTripper) int32 {
		p, err := New(u, &Options{Transport: rt})
		require.NoError(t, err)
		g, err := mcphandler.New(p, nil)
		require.NoError(t, err)
		gw := httptest.NewServer(withPrincipal(alice, g))
		defer gw.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
		defer client.CloseIdleConnections()
		round := func() {
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := client.Post(gw.URL, "application/json", stringsReader(ping))
					if assert.NoError(t, err) {
						resp.Body.Close()
						assert.Equal(t, 200, resp.StatusCode)
					}
				}()
			}
			wg.Wait()
		}
		// Warm the pool: all workers in flight at once, so that it holds
		// as many connections as the load ever needs.
		warmMu.Lock()
		warm = make(chan struct{})
		arrived.Store(0)
		warmMu.Unlock()
		round()
		warmMu.Lock()
		warm = nil
		warmMu.Unlock()
		// A request that finds no idle connection dials one even if one
		// is returned a moment later, and the pool keeps both: a few
		// more rounds let it settle.
		for range 10 {
			round()
		}
		before := opened.Load()
		for range rounds {
			round()
		}
		return opened.Load() - before
	}
	// A request that finds no idle connection dials one even when another
	// request returns its connection a moment later; the pool keeps both,
	// so such dials die out, but one can still happen in the measured
	// rounds. The 2 idle connections of http.DefaultTransport's settings
	// open new connections all the time.
	pooled := load(nil)
	small := http.DefaultTransport.(*http.Transport).Clone()
	defer small.CloseIdleConnections()
	unpooled := load(small)
	t.Logf("%d requests at %d at a time opened %d upstream connections with the proxy's transport, %d with 2 idle per host", workers*rounds, workers, pooled, unpooled)
	assert.Less(t, pooled, int32(workers), "the proxy's own transport keeps its connections")
	assert.Greater(t, unpooled, 10*max(pooled, 1), "at least 10x fewer; 2 idle connections per host are not enough: the test can fail")
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
