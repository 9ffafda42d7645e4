package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSlowClientsAnswered: 50 connections without valid credentials each
// send the headers and 1 KiB of a 4 MiB body, then stall. Each must be
// answered (or closed) within a few seconds, by examples/server as a real
// process: the id echo's body read is bounded by time, not only by size.
func TestSlowClientsAnswered(t *testing.T) {
	s := start(t, binary(t, "server"))
	u, err := url.Parse(s.endpoint)
	require.NoError(t, err)
	const conns = 50
	start := time.Now()
	statuses := make([]int, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", u.Host)
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			auth := ""
			if i%2 == 1 {
				auth = "Authorization: Bearer forged.token.value\r\n"
			}
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", u.Path, u.Host, auth, 4<<20)
			body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"`)
			for len(body) < 1024 {
				body = append(body, 'x')
			}
			if _, err := c.Write(append([]byte(head), body...)); !assert.NoError(t, err) {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				statuses[i] = -1 // closed without an answer: allowed, if quick
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d stalled clients answered in %v: %v", conns, elapsed, statuses)
	assert.Less(t, elapsed, 5*time.Second, "every stalled client answered or closed within seconds")
	for i, st := range statuses {
		assert.Contains(t, []int{401, -1}, st, "client %d", i)
	}
}
