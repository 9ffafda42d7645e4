package e2e

// Attacks on examples/gateway in front of the three real upstreams, by a
// client holding only a reader's token (scope mcp:read), beyond those of
// TestSmugglingRealUpstreams: what the guard and the server disagree on
// about sessions, resources and memory, not about the body. Each test
// asserts the property the gateway promises, so a test that fails is a
// finding, reproduced against the real server.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mcpgomcp "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attackTarget is a real upstream that also reports how many sessions it
// holds.
type attackTarget struct {
	smuggleUpstream
	sessions func(t *testing.T) int
}

var attackTargets = []struct {
	name  string
	start func(t *testing.T) attackTarget
}{
	{"go-sdk", goSDKCounted},
	{"mcp-go", mcpGoCounted},
	{"typescript-sdk", tsCounted},
}

// goSDKCounted is goSDKUpstream whose sessions can be counted.
func goSDKCounted(t *testing.T) attackTarget {
	c := &toolCounter{}
	server := mcp.NewServer(&mcp.Implementation{Name: "go-sdk-upstream", Version: "1"}, nil)
	type text struct {
		Text string `json:"text,omitempty"`
	}
	mcp.AddTool(server, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in text) (*mcp.CallToolResult, text, error) {
		c.echo.Add(1)
		return nil, in, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "whoami"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, map[string]string, error) {
		c.whoami.Add(1)
		return nil, map[string]string{"subject": "anyone"}, nil
	})
	mcp.AddTool(server, &mcp.Tool{Name: "admin_stats"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, map[string]string, error) {
		c.admin.Add(1)
		return nil, map[string]string{"stats": "ADMIN STATS"}, nil
	})
	var reads atomic.Int64
	server.AddResource(&mcp.Resource{URI: adminResource, Name: "admin_config"}, func(_ context.Context, r *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		reads.Add(1)
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: r.Params.URI, Text: "ADMIN CONFIG"}}}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return attackTarget{
		smuggleUpstream: smuggleUpstream{url: srv.URL + "/mcp", execs: withReads(c, &reads)},
		sessions: func(*testing.T) int {
			n := 0
			for range server.Sessions() {
				n++
			}
			return n
		},
	}
}

// adminResource is a resource that only administrators may read.
const adminResource = "config://admin"

// withReads adds the reads of adminResource to a tool counter's snapshot.
func withReads(c *toolCounter, reads *atomic.Int64) func(*testing.T) map[string]int64 {
	return func(t *testing.T) map[string]int64 {
		m := c.snapshot(t)
		m["admin_config"] = reads.Load()
		return m
	}
}

// mcpGoCounted is mcpGoUpstream whose registered sessions are counted with
// the server's session hooks.
func mcpGoCounted(t *testing.T) attackTarget {
	c := &toolCounter{}
	var live atomic.Int64
	hooks := &mcpgoserver.Hooks{}
	hooks.AddOnRegisterSession(func(context.Context, mcpgoserver.ClientSession) { live.Add(1) })
	hooks.AddOnUnregisterSession(func(context.Context, mcpgoserver.ClientSession) { live.Add(-1) })
	s := mcpgoserver.NewMCPServer("mcp-go-upstream", "1", mcpgoserver.WithToolCapabilities(false), mcpgoserver.WithHooks(hooks))
	s.AddTool(mcpgomcp.NewTool("echo", mcpgomcp.WithString("text")), func(_ context.Context, r mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
		c.echo.Add(1)
		return mcpgomcp.NewToolResultText(r.GetString("text", "")), nil
	})
	s.AddTool(mcpgomcp.NewTool("whoami"), func(context.Context, mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
		c.whoami.Add(1)
		return mcpgomcp.NewToolResultText("anyone"), nil
	})
	s.AddTool(mcpgomcp.NewTool("admin_stats"), func(context.Context, mcpgomcp.CallToolRequest) (*mcpgomcp.CallToolResult, error) {
		c.admin.Add(1)
		return mcpgomcp.NewToolResultText("ADMIN STATS"), nil
	})
	var reads atomic.Int64
	s.AddResource(mcpgomcp.NewResource(adminResource, "admin_config"), func(_ context.Context, r mcpgomcp.ReadResourceRequest) ([]mcpgomcp.ResourceContents, error) {
		reads.Add(1)
		return []mcpgomcp.ResourceContents{mcpgomcp.TextResourceContents{URI: r.Params.URI, Text: "ADMIN CONFIG"}}, nil
	})
	srv := httptest.NewServer(mcpgoserver.NewStreamableHTTPServer(s))
	t.Cleanup(srv.Close)
	return attackTarget{
		smuggleUpstream: smuggleUpstream{url: srv.URL + "/mcp", execs: withReads(c, &reads)},
		sessions:        func(*testing.T) int { return int(live.Load()) },
	}
}

// tsCounted is tsUpstream, with the session count of its GET /sessions.
func tsCounted(t *testing.T) attackTarget {
	up := tsUpstream(t)
	base := strings.TrimSuffix(up.url, "/mcp")
	return attackTarget{smuggleUpstream: up, sessions: func(t *testing.T) int {
		t.Helper()
		resp, err := http.Get(base + "/sessions")
		require.NoError(t, err)
		defer resp.Body.Close()
		var n struct{ Sessions, RSS int }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&n))
		t.Logf("typescript upstream: %d sessions, RSS %d MiB", n.Sessions, n.RSS>>20)
		return n.Sessions
	}}
}

// attackPolicy is TestSmugglingRealUpstreams' policy (admin_stats needs
// mcp:admin), plus a resource that needs mcp:admin too.
func attackPolicy() string {
	p, _ := json.Marshal(map[string]any{
		"methods":   map[string][]string{"tools/call": {"mcp:read"}, "tools/list": {"mcp:read"}},
		"tools":     map[string][]string{"whoami": {}, "echo": {}, "admin_stats": {"mcp:admin"}},
		"resources": map[string][]string{adminResource: {"mcp:admin"}},
	})
	return string(p)
}

// gatewayProc is a running examples/gateway and its process id.
type gatewayProc struct {
	started
	pid int
}

// startGateway is start for examples/gateway, keeping the process id so
// that a test can read the gateway's memory.
func startGateway(t *testing.T, upstream string) gatewayProc {
	t.Helper()
	bin := attackGateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-log-level", "debug", "-upstream", upstream, "-policy", attackPolicy())
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = &testWriter{t: t, prefix: filepath.Base(bin) + ": "}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	var s started
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for s.admin == "" && sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		for prefix, dst := range map[string]*string{"MCP endpoint:": &s.endpoint, "resource metadata:": &s.metadata, "reader token:": &s.reader, "admin token:": &s.admin} {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				*dst = strings.TrimSpace(v)
			}
		}
	}
	require.NotEmpty(t, s.admin, "gateway printed no tokens")
	secret(s.reader)
	secret(s.admin)
	go func() {
		for sc.Scan() {
		}
	}()
	return gatewayProc{started: s, pid: cmd.Process.Pid}
}

var (
	attackBuildOnce sync.Once
	attackBin       string
	attackBuildErr  error
)

// attackGateway builds examples/gateway once, into a directory of its own.
func attackGateway(t *testing.T) string {
	t.Helper()
	attackBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mcpauth-attack-")
		if err != nil {
			attackBuildErr = err
			return
		}
		attackBin = filepath.Join(dir, "gateway")
		if out, err := exec.Command("go", "build", "-o", attackBin, "github.com/mcpauth/mcpauth/examples/gateway").CombinedOutput(); err != nil {
			attackBuildErr = fmt.Errorf("go build gateway: %w\n%s", err, out)
		}
	})
	require.NoError(t, attackBuildErr)
	return attackBin
}

// rssKiB returns the resident set size of process pid.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// attacker sends requests to a gateway.
type attacker struct {
	t  *testing.T
	gw started
	c  *http.Client
}

func newAttacker(t *testing.T, gw started) *attacker {
	c := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
	t.Cleanup(c.CloseIdleConnections)
	return &attacker{t: t, gw: gw, c: c}
}

// do sends body with token's credentials (none for "") and the headers
// of hdr on top of the usual ones.
func (a *attacker) do(method, token string, hdr http.Header, body string) (int, http.Header, string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.gw.endpoint, rd)
	require.NoError(a.t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := a.c.Do(req)
	require.NoError(a.t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(a.t, err)
	return resp.StatusCode, resp.Header, string(b)
}

const attackInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"attacker","version":"1"}}}`

// session opens a session for token the ordinary way and returns its id
// and protocol version.
func (a *attacker) session(token string) (string, string) {
	a.t.Helper()
	status, hdr, body := a.do(http.MethodPost, token, nil, attackInit)
	require.Equal(a.t, http.StatusOK, status, body)
	sid := hdr.Get("Mcp-Session-Id")
	require.NotEmpty(a.t, sid)
	version := "2025-11-25"
	for _, m := range rpcMessages(body) {
		var r struct {
			Result struct {
				ProtocolVersion string `json:"protocolVersion"`
			} `json:"result"`
		}
		if json.Unmarshal(m, &r) == nil && r.Result.ProtocolVersion != "" {
			version = r.Result.ProtocolVersion
		}
	}
	status, _, body = a.do(http.MethodPost, token, http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}},
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	require.Equal(a.t, http.StatusAccepted, status, body)
	return sid, version
}

// TestAttackSessionlessInitializeOrphansSessions: a reader sends initialize
// under MCP-Protocol-Version 2026-07-28 (with the matching Mcp-Method). The
// guard treats the request as session-less and strips the Mcp-Session-Id
// the server hands out. A server that does not know the revision (the
// TypeScript SDK validates the header only after initialize) still
// creates a session, which nobody is bound to and whose id the client
// never learns; unless the guard ends it, each request leaks one server
// session.
func TestAttackSessionlessInitializeOrphansSessions(t *testing.T) {
	const n = 40
	for _, tc := range attackTargets {
		t.Run(tc.name, func(t *testing.T) {
			up := tc.start(t)
			gw := startGateway(t, up.url)
			a := newAttacker(t, gw.started)
			before := up.sessions(t)
			statuses := map[int]int{}
			ids := 0
			for range n {
				status, hdr, _ := a.do(http.MethodPost, gw.reader, http.Header{
					"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {"initialize"},
				}, attackInit)
				statuses[status]++
				if hdr.Get("Mcp-Session-Id") != "" {
					ids++
				}
			}
			time.Sleep(200 * time.Millisecond)
			after := up.sessions(t)
			t.Logf("%d initializes under 2026-07-28: statuses %v, %d responses with a session id; upstream sessions %d -> %d", n, statuses, ids, before, after)
			assert.Zero(t, ids, "a session id reached the client under a session-less revision")
			assert.LessOrEqual(t, after-before, 16, "one reader made the upstream hold more sessions than the guard's per-principal bound, none of them bound or ever ended")
		})
	}
}

// TestAttackSessionlessInitializeOrphansScale measures what the orphans of
// TestAttackSessionlessInitializeOrphansSessions cost the TypeScript
// server: 2000 requests by one reader, 16 at a time.
func TestAttackSessionlessInitializeOrphansScale(t *testing.T) {
	up := tsCounted(t)
	gw := startGateway(t, up.url)
	a := newAttacker(t, gw.started)
	before := up.sessions(t)
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	var ok atomic.Int64
	for range 16 {
		wg.Go(func() {
			for range jobs {
				if status, _, _ := a.do(http.MethodPost, gw.reader, http.Header{"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {"initialize"}}, attackInit); status == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	start := time.Now()
	for range 2000 {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	after := up.sessions(t)
	t.Logf("2000 session-less initializes in %v: %d answered 200; upstream sessions %d -> %d", time.Since(start), ok.Load(), before, after)
	assert.LessOrEqual(t, after-before, 16)
}

// TestAttackInitializeInsideSession: a reader sends initialize again,
// inside its own bound session. mcp-go mints and registers a fresh session
// for every initialize; unless the guard removes its id from the response
// and ends it, the id goes to the client unbound and each request leaks
// one server session past the guard's bound.
func TestAttackInitializeInsideSession(t *testing.T) {
	const n = 40
	for _, tc := range attackTargets {
		t.Run(tc.name, func(t *testing.T) {
			up := tc.start(t)
			gw := startGateway(t, up.url)
			a := newAttacker(t, gw.started)
			sid, version := a.session(gw.reader)
			before := up.sessions(t)
			statuses := map[int]int{}
			var foreign []string
			for range n {
				status, hdr, _ := a.do(http.MethodPost, gw.reader, http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}, attackInit)
				statuses[status]++
				if got := hdr.Get("Mcp-Session-Id"); got != "" && got != sid {
					foreign = append(foreign, got)
				}
			}
			time.Sleep(200 * time.Millisecond)
			after := up.sessions(t)
			t.Logf("%d initializes inside session %s: statuses %v, %d new session ids handed out; upstream sessions %d -> %d", n, sid, statuses, len(foreign), before, after)
			if len(foreign) > 0 {
				status, _, body := a.do(http.MethodPost, gw.reader, http.Header{"Mcp-Session-Id": {foreign[0]}, "Mcp-Protocol-Version": {version}}, `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`)
				t.Logf("using the new id %s through the gateway: %d %s", foreign[0], status, clip(body, 200))
			}
			assert.Empty(t, foreign, "the client got session ids the guard never bound")
			assert.LessOrEqual(t, after-before, 16, "one reader made the upstream hold more sessions than the guard's per-principal bound")
		})
	}
}

// TestAttackInitializeInsideSessionScale measures what the sessions of
// TestAttackInitializeInsideSession cost mcp-go, which runs in this
// process: 2000 requests by one reader in its one session.
func TestAttackInitializeInsideSessionScale(t *testing.T) {
	up := mcpGoCounted(t)
	gw := startGateway(t, up.url)
	a := newAttacker(t, gw.started)
	sid, version := a.session(gw.reader)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before, h0 := up.sessions(t), heap()
	for range 2000 {
		a.do(http.MethodPost, gw.reader, http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}, attackInit)
	}
	after, h1 := up.sessions(t), heap()
	t.Logf("2000 initializes inside one session: mcp-go sessions %d -> %d, heap in use %d -> %d KiB (%d B per session)",
		before, after, h0>>10, h1>>10, (int64(h1)-int64(h0))/int64(max(after-before, 1)))
	assert.LessOrEqual(t, after-before, 16)
}

// TestAttackDeclaredBodyPreallocation: a reader opens connections that
// send only headers declaring a 4 MiB body and then stall. A guard that
// sized its buffer from Content-Length before a byte arrived would spend
// 4 MiB per connection for up to the 30 s body timeout, for about 300
// bytes sent.
func TestAttackDeclaredBodyPreallocation(t *testing.T) {
	up := goSDKCounted(t)
	gw := startGateway(t, up.url)
	u, err := url.Parse(gw.endpoint)
	require.NoError(t, err)
	const conns = 200
	wave := func(token string, declared int) (deltaKiB int, sent int) {
		time.Sleep(500 * time.Millisecond)
		base := rssKiB(t, gw.pid)
		var cs []net.Conn
		auth := ""
		if token != "" {
			auth = "Authorization: Bearer " + token + "\r\n"
		}
		for range conns {
			c, err := net.Dial("tcp", u.Host)
			require.NoError(t, err)
			cs = append(cs, c)
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n{",
				u.Path, u.Host, auth, declared)
			sent += len(head)
			_, err = c.Write([]byte(head))
			require.NoError(t, err)
		}
		time.Sleep(900 * time.Millisecond) // within the middleware's 1 s body timeout
		peak := rssKiB(t, gw.pid)
		t.Logf("declared %d B, token %t: gateway RSS %d -> %d KiB", declared, token != "", base, peak)
		for _, c := range cs {
			c.Close()
		}
		return peak - base, sent
	}
	small, _ := wave(gw.reader, 64)
	var big, sent int
	for i := range 3 { // freed buffers come back dirty: a later wave touches them
		d, s := wave(gw.reader, 4<<20)
		t.Logf("wave %d: reader, declared 4 MiB: RSS +%d KiB", i, d)
		big, sent = max(big, d), s
	}
	var anon int
	for range 3 {
		d, _ := wave("", 64<<10)
		anon = max(anon, d)
	}
	t.Logf("%d stalled connections: reader, declared 64 B: RSS +%d KiB; reader, declared 4 MiB: RSS +%d KiB for %d bytes sent (%.0fx); no token, declared 64 KiB: RSS +%d KiB",
		conns, small, big, sent, float64(big*1024)/float64(sent), anon)
	assert.Less(t, big, 10*max(small, 1024), "stalled bodies that declare 4 MiB cost the gateway memory the client never sent")
}

// TestAttackMethodSpellings: method names the guard does not know are
// let through with only the scopes Policy.Methods gives them (none here).
// If any upstream read a spelling of tools/call or tools/list that the
// guard does not, admin_stats would run or a list go unfiltered.
func TestAttackMethodSpellings(t *testing.T) {
	calls := []string{
		"Tools/Call", "TOOLS/CALL", "tools/Call", "tools/call ", " tools/call", "tools/call\\u0000", "tools/call\\n",
		"tools//call", "/tools/call", "tools/call/", "tools.call", "tools\\u2215call", "tools/call\\u200b", "tools\\\\/call",
		"tools/callTool", "tools/call?", "tools/call#", "tools/ call", "ｔools/call", "tools/cal\\u006c",
	}
	type row struct{ name, body string }
	var rows []row
	for _, m := range calls {
		rows = append(rows, row{"call " + m, `{"jsonrpc":"2.0","id":5,"method":"` + m + `","params":{"name":"admin_stats","arguments":{}}}`})
		list := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(m, "call", "list"), "Call", "List"), "CALL", "LIST"), "\\u006c", "t")
		rows = append(rows, row{"list " + list, `{"jsonrpc":"2.0","id":6,"method":"` + list + `"}`})
	}
	// Other shapes: a response that also names a method, params that are
	// an array, a name given twice at different depths.
	rows = append(rows,
		row{"array params", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":["admin_stats",{}]}`},
		row{"response with a method", `{"jsonrpc":"2.0","id":7,"result":{},"method":"tools/call","params":{"name":"admin_stats"}}`},
		row{"name in _meta", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","_meta":{"name":"admin_stats"}}}`},
		row{"__proto__ name", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"__proto__":{"name":"admin_stats"},"name":"echo"}}`},
		row{"constructor", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","constructor":{"name":"admin_stats"}}}`},
		row{"task-augmented call", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","task":{"ttl":1000}}}`},
		row{"id 1e400", `{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}`},
		row{"id -0", `{"jsonrpc":"2.0","id":-0,"method":"tools/list"}`},
	)
	for _, tc := range attackTargets {
		t.Run(tc.name, func(t *testing.T) {
			up := tc.start(t)
			gw := startGateway(t, up.url)
			a := newAttacker(t, gw.started)
			sid, version := a.session(gw.reader)
			for _, r := range rows {
				before := up.execs(t)
				status, _, body := a.do(http.MethodPost, gw.reader, http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}, r.body)
				after := up.execs(t)
				listed := listedTools(body)
				t.Logf("%-28q %d %s", r.name, status, clip(body, 160))
				assert.Equal(t, before["admin_stats"], after["admin_stats"], "%s: admin_stats ran for the reader", r.name)
				assert.NotContains(t, listed, "admin_stats", "%s: unfiltered tools/list", r.name)
			}
		})
	}
}

// TestAttackCleartextHTTP2: the gateway must not speak h2c, whose framing
// (and the guard's view of it) none of the tests cover.
func TestAttackCleartextHTTP2(t *testing.T) {
	up := goSDKCounted(t)
	gw := startGateway(t, up.url)
	u, err := url.Parse(gw.endpoint)
	require.NoError(t, err)
	c, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(io.LimitReader(c, 512))
	t.Logf("prior knowledge h2c: %q", b)
	assert.True(t, strings.HasPrefix(string(b), "HTTP/1.1 "), "the gateway answered the HTTP/2 preface with something other than HTTP/1.1")

	status, hdr, body := newAttacker(t, gw.started).do(http.MethodPost, gw.reader, http.Header{"Connection": {"Upgrade, HTTP2-Settings"}, "Upgrade": {"h2c"}, "Http2-Settings": {"AAMAAABkAARAAAAAAAIAAAAA"}}, attackInit)
	t.Logf("Upgrade: h2c: %d %v %s", status, hdr, clip(body, 200))
	assert.NotEqual(t, http.StatusSwitchingProtocols, status)
}

// TestAttackStreamsWithoutSession: a GET needs no session (it may have no
// id to check), and mcp-go answers a GET without Mcp-Session-Id with a
// listening stream on a fresh session it registers and never names, and
// any number of GETs in one session with as many streams. The session
// bound does not count them; the guard's stream bound (16 per principal
// and route) must, with or without a session id.
func TestAttackStreamsWithoutSession(t *testing.T) {
	const n = 40
	for _, tc := range attackTargets {
		t.Run(tc.name, func(t *testing.T) {
			up := tc.start(t)
			gw := startGateway(t, up.url)
			sid, _ := newAttacker(t, gw.started).session(gw.reader)
			before := up.sessions(t)
			for _, withSID := range []bool{false, true} {
				ctx, cancel := context.WithCancel(context.Background())
				client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0}}
				var open atomic.Int64
				statuses := make(chan int, n)
				for range n {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.endpoint, nil)
					req.Header.Set("Accept", "text/event-stream")
					req.Header.Set("Authorization", "Bearer "+gw.reader)
					if withSID {
						req.Header.Set("Mcp-Session-Id", sid)
					}
					go func() {
						resp, err := client.Do(req)
						if err != nil {
							statuses <- -1
							return
						}
						statuses <- resp.StatusCode
						if resp.StatusCode == http.StatusOK {
							open.Add(1)
							_, _ = io.Copy(io.Discard, resp.Body)
							open.Add(-1)
						}
						resp.Body.Close()
					}()
				}
				got := map[int]int{}
				for range n {
					got[<-statuses]++
				}
				time.Sleep(time.Second)
				during := up.sessions(t)
				t.Logf("%d GETs (session id %t): statuses %v, %d streams still open after 1 s; upstream sessions %d -> %d", n, withSID, got, open.Load(), before, during)
				assert.LessOrEqual(t, int(open.Load()), 16, "one reader holds more concurrent streams than it may hold sessions")
				cancel()
				client.CloseIdleConnections()
				time.Sleep(300 * time.Millisecond)
			}
		})
	}
}

// TestAttackForwardedHeaders: the proxy promises that no client header it
// did not allow reaches the upstream. httputil's SetXForwarded would send
// the client's Host as X-Forwarded-Host, and a client's own X-Forwarded-For
// could lead the chain; an upstream that reads them (rate limits, audit
// logs, IP allow-lists, absolute URLs it builds) would act on values the
// client chose. It must see only what the gateway saw.
func TestAttackForwardedHeaders(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		select {
		case got <- h:
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	t.Cleanup(srv.Close)
	gw := startGateway(t, srv.URL+"/mcp")
	u, err := url.Parse(gw.endpoint)
	require.NoError(t, err)
	c, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer c.Close()
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	req := "POST /mcp HTTP/1.1\r\nHost: admin.internal.example\r\nAuthorization: Bearer " + gw.reader +
		"\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
		"X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Host: spoofed.example\r\nX-Forwarded-Proto: https\r\nX-Real-Ip: 10.0.0.2\r\nForwarded: for=10.0.0.3\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	_, err = c.Write([]byte(req))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	h := <-got
	t.Logf("upstream saw: Host %q, X-Forwarded-For %q, X-Forwarded-Host %q, X-Forwarded-Proto %q, X-Real-Ip %q, Forwarded %q",
		h.Get("Host"), h.Values("X-Forwarded-For"), h.Get("X-Forwarded-Host"), h.Get("X-Forwarded-Proto"), h.Get("X-Real-Ip"), h.Get("Forwarded"))
	assert.NotContains(t, h.Get("X-Forwarded-For"), "10.0.0.1", "the client's X-Forwarded-For reached the upstream")
	assert.NotEqual(t, "admin.internal.example", h.Get("X-Forwarded-Host"), "the client's Host reached the upstream as X-Forwarded-Host")
}

// TestAttackEvictionEndsUpstreamSessions: a reader opens 40 sessions the
// ordinary way. The guard binds each and, past 16, ends the least recently
// used with a DELETE through the proxy; every upstream must then hold at
// most 16 of them, and the evicted ids must be dead through the gateway.
func TestAttackEvictionEndsUpstreamSessions(t *testing.T) {
	const n = 40
	for _, tc := range attackTargets {
		t.Run(tc.name, func(t *testing.T) {
			up := tc.start(t)
			gw := startGateway(t, up.url)
			a := newAttacker(t, gw.started)
			before := up.sessions(t)
			var sids []string
			for range n {
				sid, _ := a.session(gw.reader)
				sids = append(sids, sid)
			}
			deadline := time.Now().Add(5 * time.Second)
			after := up.sessions(t)
			for after-before > 16 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				after = up.sessions(t)
			}
			status, _, _ := a.do(http.MethodPost, gw.reader, http.Header{"Mcp-Session-Id": {sids[0]}, "Mcp-Protocol-Version": {"2025-11-25"}}, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
			t.Logf("%d sessions opened: upstream sessions %d -> %d; the first id now answers %d", n, before, after, status)
			assert.LessOrEqual(t, after-before, 16)
			assert.Equal(t, http.StatusNotFound, status)
		})
	}
}

// TestAttackResourcePolicySpellings: Policy.Resources names URIs exactly,
// and a resource not named needs no scope. The TypeScript SDK looks a
// resource up by new URL(uri).toString(), which lower-cases the scheme,
// drops tabs and newlines anywhere and spaces and controls at either end,
// resolves dot segments and default ports: every such spelling of an
// administrators' resource would be, to an exact-match guard, an unlisted
// resource that a reader may read, and to the server the administrators'
// resource. No spelling may run it for the reader.
func TestAttackResourcePolicySpellings(t *testing.T) {
	spellings := []string{ // as JSON string contents
		`CONFIG://admin`, `Config://admin`, ` config://admin`, `config://admin `, `con\tfig://admin`,
		`config://ad\nmin`, `config://admin\u0000`, `\u0001config://admin`, `config://admin\r`, `config://admin\u001f`,
		`config://admin/`, `config://admin#`, `config://admin?`, `config:%2F%2Fadmin`, `config://%61dmin`,
	}
	read := func(uri string) string {
		return `{"jsonrpc":"2.0","id":8,"method":"resources/read","params":{"uri":"` + uri + `"}}`
	}
	for _, tc := range attackTargets {
		t.Run(tc.name, func(t *testing.T) {
			up := tc.start(t)
			gw := startGateway(t, up.url)
			a := newAttacker(t, gw.started)
			rsid, version := a.session(gw.reader)
			asid, _ := a.session(gw.admin)
			hdr := func(sid string) http.Header {
				return http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {version}}
			}
			// Controls: the admin reads it; the reader is refused.
			before := up.execs(t)["admin_config"]
			status, _, body := a.do(http.MethodPost, gw.admin, hdr(asid), read(adminResource))
			require.Equal(t, before+1, up.execs(t)["admin_config"], "control: the admin reads %s: %d %s", adminResource, status, body)
			status, _, _ = a.do(http.MethodPost, gw.reader, hdr(rsid), read(adminResource))
			require.Equal(t, http.StatusForbidden, status, "control: the reader is refused %s", adminResource)
			for _, u := range spellings {
				before := up.execs(t)["admin_config"]
				status, _, body := a.do(http.MethodPost, gw.reader, hdr(rsid), read(u))
				ran := up.execs(t)["admin_config"] - before
				t.Logf("%-24q %d ran=%d %s", u, status, ran, clip(body, 140))
				assert.Zero(t, ran, "the reader read the administrators' resource as %q: %s", u, clip(body, 200))
			}
		})
	}
}

// TestAttackStreamsWithoutSessionScale measures TestAttackStreamsWithoutSession
// on mcp-go at 500 streams: what the gateway and the upstream hold for one
// reader.
func TestAttackStreamsWithoutSessionScale(t *testing.T) {
	const n = 500
	up := mcpGoCounted(t)
	gw := startGateway(t, up.url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	time.Sleep(300 * time.Millisecond)
	rss0, s0 := rssKiB(t, gw.pid), up.sessions(t)
	var open atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, gw.endpoint, nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Authorization", "Bearer "+gw.reader)
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				open.Add(1)
				_, _ = io.Copy(io.Discard, resp.Body)
			}
		})
	}
	time.Sleep(3 * time.Second)
	rss1, s1 := rssKiB(t, gw.pid), up.sessions(t)
	t.Logf("%d GETs without a session: %d streams open; gateway RSS %d -> %d KiB; mcp-go sessions %d -> %d", n, open.Load(), rss0, rss1, s0, s1)
	cancel()
	wg.Wait()
	assert.LessOrEqual(t, int(open.Load()), 16)
}
