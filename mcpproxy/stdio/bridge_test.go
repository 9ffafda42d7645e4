package stdio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// childCommand runs this test binary as the stdio server (TestMain).
func childOptions(o *Options) *Options {
	if o == nil {
		o = &Options{}
	}
	o.Command = []string{os.Args[0]}
	o.Env = []string{childEnv + "=1", "MARK=configured"}
	if o.StopTimeout == 0 {
		o.StopTimeout = time.Second
	}
	return o
}

// users stands in for the authentication middleware: X-User names the
// principal.
func users(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-User"); u != "" {
			r = r.WithContext(authresult.NewContext(r.Context(), &authresult.Principal{Subject: u, Issuer: "https://idp"}))
		}
		h.ServeHTTP(w, r)
	})
}

// serve puts b behind a guard with store (nil: the guard's default).
func serve(t *testing.T, b *Bridge, store mcphandler.Store) string {
	t.Helper()
	g, err := mcphandler.New(b, &mcphandler.Options{Store: store})
	require.NoError(t, err)
	ts := httptest.NewServer(users(g))
	t.Cleanup(func() {
		ts.Close()
		_ = b.Close(context.Background())
	})
	return ts.URL
}

func newBridge(t *testing.T, o *Options, store mcphandler.Store) (*Bridge, string) {
	t.Helper()
	b, err := New(childOptions(o))
	require.NoError(t, err)
	return b, serve(t, b, store)
}

type asUser struct {
	user string
	base http.RoundTripper
}

func (u asUser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-User", u.user)
	return u.base.RoundTrip(r)
}

// connect opens a session as user with the go-sdk client, on a revision
// with sessions.
func connect(t *testing.T, url, user string) (*mcp.ClientSession, error) {
	return connectAt(t, url, user, "2025-11-25")
}

// connectAt connects on protocol revision version.
func connectAt(t *testing.T, url, user, version string) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v1"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: asUser{user, http.DefaultTransport}}, MaxRetries: -1, DisableStandaloneSSE: true}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func callTool(t *testing.T, cs *mcp.ClientSession, tool string, args any) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return "", err
	}
	return res.Content[0].(*mcp.TextContent).Text, nil
}

// whoami returns the pid of the session's child and its environment.
func whoami(t *testing.T, cs *mcp.ClientSession) (int, []string) {
	t.Helper()
	out, err := callTool(t, cs, "whoami", map[string]any{})
	require.NoError(t, err)
	pid, env, _ := strings.Cut(out, " ")
	n, err := strconv.Atoi(pid)
	require.NoError(t, err)
	return n, strings.Split(env, ",")
}

// alive reports whether process pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func gone(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool { return !alive(pid) }, 10*time.Second, 20*time.Millisecond, "process %d still runs", pid)
}

// post sends one raw message as user.
func post(t *testing.T, url, user, sid, body string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("X-User", user)
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

const initMsg = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// session opens a session with raw messages and returns its id.
func session(t *testing.T, url, user string) string {
	t.Helper()
	resp := post(t, url, user, "", initMsg)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sid := resp.Header.Get("Mcp-Session-Id")
	require.NotEmpty(t, sid)
	post(t, url, user, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return sid
}

func toolCall(id int, tool string, args string) string {
	return `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`
}

func errorCode(t *testing.T, resp *http.Response) (json.RawMessage, int) {
	t.Helper()
	var m struct {
		ID    json.RawMessage `json:"id"`
		Error struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m.ID, m.Error.Code
}

func TestSessionLifecycle(t *testing.T) {
	t.Setenv("GATEWAY_SECRET", "must-not-reach-the-child")
	b, url := newBridge(t, nil, nil)
	cs, err := connect(t, url, "alice")
	require.NoError(t, err)
	pid, env := whoami(t, cs)
	assert.True(t, alive(pid))
	assert.ElementsMatch(t, []string{childEnv + "=1", "MARK=configured"}, env, "the child sees only the configured environment")
	assert.Equal(t, 1, b.Children())
	out, err := callTool(t, cs, "echo", map[string]any{"text": "<&>"})
	require.NoError(t, err)
	assert.Equal(t, "<&>", out)

	require.NoError(t, cs.Close()) // DELETE
	gone(t, pid)
	assert.Equal(t, 0, b.Children())
}

func TestOneChildPerSession(t *testing.T) {
	b, url := newBridge(t, nil, nil)
	a1, err := connect(t, url, "alice")
	require.NoError(t, err)
	a2, err := connect(t, url, "alice")
	require.NoError(t, err)
	p1, _ := whoami(t, a1)
	p2, _ := whoami(t, a2)
	assert.NotEqual(t, p1, p2)
	assert.Equal(t, 2, b.Children())
}

// trusting binds every session to everyone: a broken store.
type trusting struct{ mcphandler.Store }

func (trusting) Check(context.Context, string, mcphandler.Key) (bool, error) { return true, nil }

func TestNoCrossPrincipalReuse(t *testing.T) {
	for name, store := range map[string]mcphandler.Store{
		"guard's store":         nil,
		"store that trusts all": trusting{mcphandler.NewMemoryStore(nil)},
	} {
		t.Run(name, func(t *testing.T) {
			_, url := newBridge(t, nil, store)
			sid := session(t, url, "alice")
			resp := post(t, url, "alice", sid, toolCall(2, "whoami", `{}`))
			require.Equal(t, http.StatusOK, resp.StatusCode)

			for _, body := range []string{toolCall(3, "whoami", `{}`), `{"jsonrpc":"2.0","method":"notifications/initialized"}`} {
				resp = post(t, url, "bob", sid, body)
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, "bob reaches alice's child")
			}
			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				req, _ := http.NewRequest(m, url, nil)
				req.Header.Set("X-User", "bob")
				req.Header.Set("Mcp-Session-Id", sid)
				req.Header.Set("Accept", "text/event-stream")
				r, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				_ = r.Body.Close()
				assert.Equal(t, http.StatusNotFound, r.StatusCode, m)
			}
			resp = post(t, url, "alice", sid, toolCall(4, "echo", `{"text":"still mine"}`))
			assert.Equal(t, http.StatusOK, resp.StatusCode, "bob's attempts ended alice's session")
		})
	}
}

func TestCaps(t *testing.T) {
	b, url := newBridge(t, &Options{MaxChildren: 3, MaxPerPrincipal: 2}, nil)
	a1 := session(t, url, "alice")
	session(t, url, "alice")
	resp := post(t, url, "alice", "", initMsg)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	id, code := errorCode(t, resp)
	assert.JSONEq(t, "1", string(id))
	assert.Equal(t, -32603, code)

	session(t, url, "bob")
	resp = post(t, url, "bob", "", initMsg)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Equal(t, 3, b.Children())

	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	req.Header.Set("X-User", "alice")
	req.Header.Set("Mcp-Session-Id", a1)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	require.Equal(t, http.StatusNoContent, r.StatusCode)
	session(t, url, "bob") // room again
}

func TestIdleTimeoutEndsChild(t *testing.T) {
	b, url := newBridge(t, &Options{IdleTimeout: 300 * time.Millisecond}, nil)
	cs, err := connect(t, url, "alice")
	require.NoError(t, err)
	pid, _ := whoami(t, cs)
	gone(t, pid)
	assert.Equal(t, 0, b.Children())
	_, err = callTool(t, cs, "whoami", map[string]any{})
	assert.Error(t, err)
}

func TestEvictedBindingEndsChild(t *testing.T) {
	store := mcphandler.NewMemoryStore(&mcphandler.MemoryStoreOptions{MaxPerPrincipal: 1})
	b, url := newBridge(t, nil, store)
	first, err := connect(t, url, "alice")
	require.NoError(t, err)
	pid, _ := whoami(t, first)
	_, err = connect(t, url, "alice") // evicts the first binding
	require.NoError(t, err)
	gone(t, pid)
	assert.Equal(t, 1, b.Children())
}

func TestCloseEndsEveryProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	b, url := newBridge(t, nil, nil)
	cs, err := connect(t, url, "alice")
	require.NoError(t, err)
	pid, _ := whoami(t, cs)
	out, err := callTool(t, cs, "spawn", map[string]any{"text": sleep})
	require.NoError(t, err, "the child needs no PATH for sleep: it is run by path in the tool")
	grand, err := strconv.Atoi(out)
	require.NoError(t, err)
	require.True(t, alive(grand))

	require.NoError(t, b.Close(context.Background()))
	assert.False(t, alive(pid))
	gone(t, grand) // what the child started goes with it
	resp := post(t, url, "alice", "", initMsg)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestOutsideASessionOneChildPerPrincipal(t *testing.T) {
	b, url := newBridge(t, nil, nil)
	pidOf := func(user string) string {
		resp := post(t, url, user, "", toolCall(7, "whoami", `{}`))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Mcp-Session-Id"))
		var m struct {
			ID     int `json:"id"`
			Result struct {
				Content []struct{ Text string } `json:"content"`
			} `json:"result"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		assert.Equal(t, 7, m.ID)
		pid, _, _ := strings.Cut(m.Result.Content[0].Text, " ")
		return pid
	}
	a := pidOf("alice")
	assert.Equal(t, a, pidOf("alice"))
	assert.NotEqual(t, a, pidOf("bob"))
	assert.Equal(t, 2, b.Children())

	// The same client id, concurrently: each answer reaches its request.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			want := "n" + strconv.Itoa(i)
			resp := post(t, url, "alice", "", toolCall(1, "echo", `{"text":"`+want+`"}`))
			body, _ := io.ReadAll(resp.Body)
			assert.Contains(t, string(body), `"text":"`+want+`"`)
			assert.Contains(t, string(body), `"id":1`)
		})
	}
	wg.Wait()
}

func TestSessionlessRevision(t *testing.T) {
	b, url := newBridge(t, nil, nil)
	a, err := connectAt(t, url, "alice", "2026-07-28")
	require.NoError(t, err)
	a2, err := connectAt(t, url, "alice", "2026-07-28")
	require.NoError(t, err)
	bob, err := connectAt(t, url, "bob", "2026-07-28")
	require.NoError(t, err)
	p1, _ := whoami(t, a)
	p2, _ := whoami(t, a2)
	p3, _ := whoami(t, bob)
	assert.Equal(t, p1, p2, "one child per principal")
	assert.NotEqual(t, p1, p3, "bob shares alice's child")
	assert.Equal(t, 2, b.Children())
}

func TestChildExitAnswers502(t *testing.T) {
	_, url := newBridge(t, nil, nil)
	sid := session(t, url, "alice")
	resp := post(t, url, "alice", sid, toolCall(9, "exit", `{}`))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	id, _ := errorCode(t, resp)
	assert.JSONEq(t, "9", string(id))
	resp = post(t, url, "alice", sid, toolCall(10, "echo", `{"text":"x"}`))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// A child that exits on its own takes what it started with it: its group
// is killed while the child is not yet reaped, so its group id cannot have
// been given to another process.
func TestChildExitEndsWhatItStarted(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	b, url := newBridge(t, nil, nil)
	cs, err := connect(t, url, "alice")
	require.NoError(t, err)
	out, err := callTool(t, cs, "spawn", map[string]any{"text": sleep})
	require.NoError(t, err)
	grand, err := strconv.Atoi(out)
	require.NoError(t, err)
	require.True(t, alive(grand))
	_, _ = callTool(t, cs, "exit", map[string]any{})
	gone(t, grand)
	require.Eventually(t, func() bool { return b.Children() == 0 }, 10*time.Second, 20*time.Millisecond)
}

func TestOversizedMessageEndsChild(t *testing.T) {
	b, url := newBridge(t, &Options{MaxMessageBytes: 64 << 10}, nil)
	sid := session(t, url, "alice")
	resp := post(t, url, "alice", sid, toolCall(2, "big", `{}`))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	require.Eventually(t, func() bool { return b.Children() == 0 }, 10*time.Second, 20*time.Millisecond)
}

func TestProgressOnTheRequestsStream(t *testing.T) {
	_, url := newBridge(t, nil, nil)
	sid := session(t, url, "alice")
	resp := post(t, url, "alice", sid, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"progress","arguments":{},"_meta":{"progressToken":"p1"}}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var data []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, d)
		}
	}
	require.Len(t, data, 3)
	assert.Contains(t, data[0], `"progressToken":"p1"`)
	assert.Contains(t, data[1], `"progress":2`)
	assert.Contains(t, data[2], `"id":5`)
	assert.Contains(t, data[2], `"done"`)
}

func TestCancelledWhenTheClientLeaves(t *testing.T) {
	_, url := newBridge(t, nil, nil)
	sid := session(t, url, "alice")
	mark := filepath.Join(t.TempDir(), "cancelled")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(toolCall(3, "slow", `{"text":"`+mark+`"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("X-User", "alice")
	req.Header.Set("Mcp-Session-Id", sid)
	_, err := http.DefaultClient.Do(req)
	require.Error(t, err)
	require.Eventually(t, func() bool { _, err := os.Stat(mark); return err == nil }, 10*time.Second, 20*time.Millisecond,
		"the child was not told the request was cancelled")
	resp := post(t, url, "alice", sid, toolCall(4, "echo", `{"text":"after"}`))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestCallTimeout(t *testing.T) {
	_, url := newBridge(t, &Options{CallTimeout: 200 * time.Millisecond}, nil)
	sid := session(t, url, "alice")
	resp := post(t, url, "alice", sid, toolCall(3, "slow", `{"text":""}`))
	assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
	id, _ := errorCode(t, resp)
	assert.JSONEq(t, "3", string(id))
}

func TestRefusals(t *testing.T) {
	b, err := New(childOptions(nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	ts := httptest.NewServer(users(b)) // no guard
	defer ts.Close()
	resp := post(t, ts.URL, "alice", "", initMsg)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, 0, b.Children(), "an unguarded request started a child")

	url := serve(t, b, nil)
	resp = post(t, url, "alice", "", `[`+initMsg+`]`, "Mcp-Protocol-Version", "2025-03-26")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, 0, b.Children())

	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-User", "alice")
	req.Header.Set("Accept", "text/event-stream")
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	assert.Equal(t, http.StatusBadRequest, r.StatusCode, "a GET outside a session")
}

func TestOptions(t *testing.T) {
	for name, o := range map[string]*Options{
		"nil":          nil,
		"no command":   {},
		"empty argv0":  {Command: []string{""}},
		"bad env":      {Command: []string{"x"}, Env: []string{"NOEQUALS"}},
		"empty name":   {Command: []string{"x"}, Env: []string{"=v"}},
		"negative cap": {Command: []string{"x"}, MaxChildren: -1},
	} {
		_, err := New(o)
		assert.Error(t, err, name)
	}
}

// slowStart delays the "started" log record, widening the window between
// a child's start and its registration.
type slowStart struct{ slog.Handler }

func (h slowStart) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "started") {
		time.Sleep(300 * time.Millisecond)
	}
	return nil
}

func TestChildThatExitsAtOnceIsNotCounted(t *testing.T) {
	truePath, err := exec.LookPath("true")
	require.NoError(t, err)
	b, err := New(&Options{Command: []string{truePath}, Env: []string{}, MaxChildren: 2, Logger: slog.New(slowStart{slog.DiscardHandler})})
	require.NoError(t, err)
	url := serve(t, b, nil)
	for range 3 {
		resp := post(t, url, "alice", "", toolCall(1, "echo", `{"text":"x"}`))
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
		resp = post(t, url, "bob", "", initMsg)
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	}
	require.Eventually(t, func() bool { return b.Children() == 0 }, 10*time.Second, 20*time.Millisecond, "dead children still counted")
}

func TestCloseWaitsForEndingChildren(t *testing.T) {
	b, url := newBridge(t, &Options{StopTimeout: 200 * time.Millisecond}, nil)
	sid := session(t, url, "alice")
	resp := post(t, url, "alice", sid, toolCall(2, "whoami", `{}`))
	var m struct {
		Result struct {
			Content []struct{ Text string } `json:"content"`
		} `json:"result"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	pid, _, _ := strings.Cut(m.Result.Content[0].Text, " ")
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	req.Header.Set("X-User", "alice")
	req.Header.Set("Mcp-Session-Id", sid)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	require.NoError(t, b.Close(context.Background())) // the DELETE's stop is still running
	n, _ := strconv.Atoi(pid)
	assert.False(t, alive(n), "Close returned with a child alive")
}

func TestClientCancelAnswersAtOnce(t *testing.T) {
	_, url := newBridge(t, &Options{CallTimeout: time.Minute}, nil)
	sid := session(t, url, "alice")
	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(toolCall(3, "slow", `{"text":""}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("X-User", "alice")
		req.Header.Set("Mcp-Session-Id", sid)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			done <- resp
		}
	}()
	time.Sleep(300 * time.Millisecond)
	resp := post(t, url, "alice", sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}`)
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	select {
	case r := <-done:
		defer r.Body.Close()
		_, code := errorCode(t, r)
		assert.Equal(t, -32800, code)
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled request is still waiting")
	}
}

func TestOddParamsReachTheServer(t *testing.T) {
	_, url := newBridge(t, nil, nil)
	sid := session(t, url, "alice")
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"_meta":"x"}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":{"progressToken":[1]}}}`,
	} {
		resp := post(t, url, "alice", sid, body)
		assert.NotEqual(t, http.StatusInternalServerError, resp.StatusCode, body)
	}
}

// A child's queued messages, in all its queues together, never exceed
// queueBudget times MaxMessageBytes: past it they are dropped; what is
// taken or drained gives its budget back.
func TestQueueBudget(t *testing.T) {
	c := &child{b: &Bridge{cfg: &config{maxMessage: 100}}}
	a, b := make(chan []byte, streamBuffer), make(chan []byte, streamBuffer)
	msg := bytes.Repeat([]byte("x"), 60)
	kept := 0
	for i := range 20 {
		q := a
		if i%2 == 1 {
			q = b
		}
		if c.offer(q, msg) {
			kept++
		}
	}
	assert.Equal(t, queueBudget*100/60, kept, "the budget is shared by the child's queues")
	assert.LessOrEqual(t, c.queued.Load(), int64(queueBudget*100))
	c.taken(<-a)
	assert.True(t, c.offer(a, msg), "taking a message gives its budget back")
	c.drain(a)
	c.drain(b)
	assert.Zero(t, c.queued.Load())
	assert.Empty(t, a)
	assert.Empty(t, b)
	small := make(chan []byte, 2)
	assert.True(t, c.offer(small, msg))
	assert.True(t, c.offer(small, msg))
	assert.False(t, c.offer(small, msg), "a full queue drops")
	assert.EqualValues(t, 120, c.queued.Load(), "a dropped message holds no budget")
}
