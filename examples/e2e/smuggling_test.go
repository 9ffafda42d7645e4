package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/base64"
	bin "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	mcpgomcp "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmugglingRealUpstreams puts examples/gateway, with a policy under
// which admin_stats needs mcp:admin, in front of three real MCP servers
// (go-sdk, mcp-go, and the official TypeScript SDK on Express) and replays
// requests that try to reach admin_stats, or an unfiltered tools/list,
// with a reader's token in the reader's own session: bodies in other
// charsets, other media types, compressed bodies, escapes, duplicate and
// case-variant members, BOMs, batches and header tricks. Whatever the
// gateway answers, the upstream must not have run admin_stats, and no
// tools/list result the reader sees may name it.
func TestSmugglingRealUpstreams(t *testing.T) {
	gateway := binary(t, "gateway")
	policy, _ := json.Marshal(map[string]any{
		"methods": map[string][]string{"tools/call": {"mcp:read"}, "tools/list": {"mcp:read"}},
		"tools":   map[string][]string{"whoami": {}, "echo": {}, "admin_stats": {"mcp:admin"}},
	})
	for _, up := range []struct {
		name  string
		start func(t *testing.T) smuggleUpstream
	}{
		{"go-sdk", goSDKUpstream},
		{"mcp-go", mcpGoUpstream},
		{"typescript-sdk", tsUpstream},
	} {
		t.Run(up.name, func(t *testing.T) {
			u := up.start(t)
			gw := start(t, gateway, "-upstream", u.url, "-policy", string(policy))
			replaySmuggling(t, gw, u)
		})
	}
}

// smuggleUpstream is a running MCP server and the number of times each of
// its tools has run.
type smuggleUpstream struct {
	url   string
	execs func(t *testing.T) map[string]int64
}

// toolCounter counts tool executions in this process.
type toolCounter struct{ echo, whoami, admin atomic.Int64 }

func (c *toolCounter) snapshot(*testing.T) map[string]int64 {
	return map[string]int64{"echo": c.echo.Load(), "whoami": c.whoami.Load(), "admin_stats": c.admin.Load()}
}

// goSDKUpstream is a stateful go-sdk StreamableHTTPHandler.
func goSDKUpstream(t *testing.T) smuggleUpstream {
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
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return smuggleUpstream{url: srv.URL + "/mcp", execs: c.snapshot}
}

// mcpGoUpstream is mark3labs/mcp-go's StreamableHTTPServer, set up as in
// mcphandler/mcpgo.
func mcpGoUpstream(t *testing.T) smuggleUpstream {
	c := &toolCounter{}
	s := mcpgoserver.NewMCPServer("mcp-go-upstream", "1", mcpgoserver.WithToolCapabilities(false))
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
	srv := httptest.NewServer(mcpgoserver.NewStreamableHTTPServer(s))
	t.Cleanup(srv.Close)
	return smuggleUpstream{url: srv.URL + "/mcp", execs: c.snapshot}
}

// tsUpstream runs ts/upstream.mjs (the official TypeScript SDK on
// createMcpExpressApp) as a child process, stopped when the test ends. Its
// counts come from GET /executions, cross-checked against the EXEC lines it
// prints.
func tsUpstream(t *testing.T) smuggleUpstream {
	var (
		mu    sync.Mutex
		lines = map[string]int64{}
	)
	u := startNodeServer(t, "upstream.mjs", nil, func(l string) {
		if tool, ok := strings.CutPrefix(l, "EXEC "); ok {
			mu.Lock()
			lines[tool]++
			mu.Unlock()
		}
	})
	base := strings.TrimSuffix(u, "/mcp")
	return smuggleUpstream{url: u, execs: func(t *testing.T) map[string]int64 {
		t.Helper()
		resp, err := http.Get(base + "/executions")
		require.NoError(t, err)
		defer resp.Body.Close()
		var n map[string]int64
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&n))
		// The EXEC line is written before the tool returns; give the pipe a
		// moment to deliver it.
		deadline := time.Now().Add(2 * time.Second)
		for {
			mu.Lock()
			printed := lines["admin_stats"]
			mu.Unlock()
			if printed >= n["admin_stats"] || time.Now().After(deadline) {
				assert.Equal(t, n["admin_stats"], printed, "GET /executions and EXEC lines agree")
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return n
	}}
}

// startNodeServer runs the Node script in ts/ with env added, stopped
// when the test ends, and returns the URL it prints on its "LISTENING URL"
// line; onLine, if not nil, sees every other line of its output.
func startNodeServer(t *testing.T, script string, env []string, onLine func(string)) string {
	t.Helper()
	node := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = tsDir
	cmd.Env = append(cmd.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = &testWriter{t: t, prefix: strings.TrimSuffix(script, ".mjs") + ": "}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if u, ok := strings.CutPrefix(l, "LISTENING "); ok {
				listening <- u
			} else if onLine != nil {
				onLine(l)
			}
		}
		close(listening)
	}()
	select {
	case u, ok := <-listening:
		require.True(t, ok, "%s exited before listening", script)
		return u
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30s", script)
		return ""
	}
}

// smuggleRow is one request of the table.
type smuggleRow struct {
	name string
	body []byte
	// hdr replaces the default header of the same name (Content-Type,
	// Accept, Mcp-Session-Id, Mcp-Protocol-Version); a nil value removes
	// it. Keys are used exactly as written, so non-canonical twins such
	// as Mcp_Session_Id go out as they are; "$SID" in a value becomes the
	// session id.
	hdr http.Header
	// admin sends the row with the admin token in the admin's session: a
	// positive control.
	admin bool
	// want is the number of executions of each tool a control row must
	// cause; nil for an attack, which must cause no admin_stats.
	want map[string]int64
}

const (
	callAdmin = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"admin_stats","arguments":{}}}`
	callEcho3 = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`
	listTools = `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`
)

func smuggleRows() []smuggleRow {
	ct := func(v ...string) http.Header { return http.Header{"Content-Type": v} }
	b := func(s string) []byte { return []byte(s) }
	// The bug report's request: method and name in UTF-7, which a
	// byte-level UTF-8 reader sees as an unknown method.
	u7call := utf7(callAdmin, "/_", false)
	u7list := utf7(listTools, "/", false)
	u7callIMAP := utf7(callAdmin, "/_", true)
	u7listIMAP := utf7(listTools, "/", true)
	// UTF-7 hiding a second "name" inside echo's argument: plain UTF-8 it
	// is a call of echo; decoded it names admin_stats last, and JSON.parse
	// keeps the last duplicate.
	u7hiddenName := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"` +
		utf7(`"},"name":"admin_stats","z":{"a":"`, `"{}_`, false) + `"}}}`
	// UTF-7 hiding a second "method" and "params" inside a string of
	// tools/list's params: plain it is tools/list, decoded a tools/call of
	// admin_stats.
	u7hiddenMethod := `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"cursor":"` +
		utf7(`"}},"method":"tools/call","params":{"name":"admin_stats","arguments":{"a":"`, `"{}/_`, false) + `"}}}`

	rows := []smuggleRow{
		// Positive controls: the test sees executions and filtering.
		{name: "control/admin calls admin_stats", body: b(callAdmin), admin: true, want: map[string]int64{"admin_stats": 1}},
		{name: "control/reader calls echo", body: b(callEcho3), want: map[string]int64{"echo": 1}},
		{name: "control/reader lists tools", body: b(listTools), want: map[string]int64{}},
		{name: "control/reader calls admin_stats plainly", body: b(callAdmin)},
	}

	// Charsets.
	for _, c := range []struct{ name, ct string }{
		{"utf-7", "application/json; charset=utf-7"},
		{"UTF-7", "application/json; charset=UTF-7"},
		{"quoted utf-7", `application/json; charset="utf-7"`},
		{"Charset=Utf-7", "application/json; Charset=Utf-7"},
		{"spaces around utf-7", "application/json ; charset = utf-7 "},
		{"no space utf-7", "application/json;charset=utf-7"},
		{"utf7 without dash", "application/json; charset=utf7"},
		{"utf-8 then utf-7", "application/json; charset=utf-8; charset=utf-7"},
		{"utf-7 then utf-8", "application/json; charset=utf-7; charset=utf-8"},
	} {
		rows = append(rows,
			smuggleRow{name: "charset/" + c.name + "/tools/call admin_stats", body: b(u7call), hdr: ct(c.ct)},
			smuggleRow{name: "charset/" + c.name + "/tools/list", body: b(u7list), hdr: ct(c.ct)})
	}
	rows = append(rows,
		smuggleRow{name: "charset/utf-7/hidden duplicate name", body: b(u7hiddenName), hdr: ct("application/json; charset=utf-7")},
		smuggleRow{name: "charset/utf-7/hidden duplicate method", body: b(u7hiddenMethod), hdr: ct("application/json; charset=utf-7")},
		smuggleRow{name: "charset/utf-7-imap/tools/call admin_stats", body: b(u7callIMAP), hdr: ct("application/json; charset=utf-7-imap")},
		smuggleRow{name: "charset/utf-7-imap/tools/list", body: b(u7listIMAP), hdr: ct("application/json; charset=utf-7-imap")},
	)
	for _, c := range []struct {
		name, ct string
		enc      func(string) []byte
	}{
		{"utf-16le", "application/json; charset=utf-16le", func(s string) []byte { return utf16Bytes(s, false, false) }},
		{"utf-16le with BOM", "application/json; charset=utf-16le", func(s string) []byte { return utf16Bytes(s, false, true) }},
		{"utf-16be", "application/json; charset=utf-16be", func(s string) []byte { return utf16Bytes(s, true, false) }},
		{"utf-16be with BOM", "application/json; charset=utf-16be", func(s string) []byte { return utf16Bytes(s, true, true) }},
		{"utf-16 LE with BOM", "application/json; charset=utf-16", func(s string) []byte { return utf16Bytes(s, false, true) }},
		{"utf-16 BE with BOM", "application/json; charset=utf-16", func(s string) []byte { return utf16Bytes(s, true, true) }},
		{"utf-16 LE without BOM", "application/json; charset=utf-16", func(s string) []byte { return utf16Bytes(s, false, false) }},
		{"UTF-16 BE without BOM", "application/json; charset=UTF-16", func(s string) []byte { return utf16Bytes(s, true, false) }},
		{"utf-32 LE", "application/json; charset=utf-32", func(s string) []byte { return utf32Bytes(s, false, false) }},
		{"utf-32 BE with BOM", "application/json; charset=utf-32", func(s string) []byte { return utf32Bytes(s, true, true) }},
		{"utf-32le", "application/json; charset=utf-32le", func(s string) []byte { return utf32Bytes(s, false, false) }},
		{"iso-8859-1", "application/json; charset=iso-8859-1", func(s string) []byte { return []byte(s) }},
		{"latin1", "application/json; charset=latin1", func(s string) []byte { return []byte(s) }},
		{"unknown charset", "application/json; charset=x-unknown-42", func(s string) []byte { return []byte(s) }},
		{"unknown utf- charset", "application/json; charset=utf-42", func(s string) []byte { return []byte(s) }},
		{"utf-8 then utf-16le", "application/json; charset=utf-8; charset=utf-16le", func(s string) []byte { return utf16Bytes(s, false, false) }},
	} {
		rows = append(rows,
			smuggleRow{name: "charset/" + c.name + "/tools/call admin_stats", body: c.enc(callAdmin), hdr: ct(c.ct)},
			smuggleRow{name: "charset/" + c.name + "/tools/list", body: c.enc(listTools), hdr: ct(c.ct)})
	}

	// Media types, each with a plain and a UTF-7 call of admin_stats.
	for _, c := range []struct {
		name string
		ct   []string
	}{
		{"missing Content-Type", nil},
		{"text/plain", []string{"text/plain"}},
		{"text/plain utf-7", []string{"text/plain; charset=utf-7"}},
		{"form-urlencoded", []string{"application/x-www-form-urlencoded"}},
		{"application/json-seq", []string{"application/json-seq"}},
		{"application/json-seq utf-7", []string{"application/json-seq; charset=utf-7"}},
		{"json, text/plain in one header", []string{"application/json, text/plain"}},
		{"json utf-7, text/plain in one header", []string{"application/json; charset=utf-7, text/plain"}},
		{"two headers json then json utf-7", []string{"application/json", "application/json; charset=utf-7"}},
		{"two headers json utf-7 then json", []string{"application/json; charset=utf-7", "application/json"}},
		{"APPLICATION/JSON (legit)", []string{"APPLICATION/JSON"}},
		{"application/json;charset=utf-8 (legit)", []string{"application/json;charset=utf-8"}},
		{"application/*+json utf-7", []string{"application/vnd.api+json; charset=utf-7"}},
	} {
		rows = append(rows,
			smuggleRow{name: "content-type/" + c.name + "/plain", body: b(callAdmin), hdr: http.Header{"Content-Type": c.ct}},
			smuggleRow{name: "content-type/" + c.name + "/utf-7 body", body: b(u7call), hdr: http.Header{"Content-Type": c.ct}})
	}

	// Compressed bodies.
	for _, c := range []struct {
		name, enc string
		body      []byte
	}{
		{"gzip", "gzip", gzipBytes([]byte(callAdmin))},
		{"GZIP", "GZIP", gzipBytes([]byte(callAdmin))},
		{"deflate", "deflate", deflateBytes([]byte(callAdmin))},
		{"br", "br", brotliStored([]byte(callAdmin))},
		{"identity, gzip", "identity, gzip", gzipBytes([]byte(callAdmin))},
		{"gzip of tools/list", "gzip", gzipBytes([]byte(listTools))},
		{"gzip header on a plain body", "gzip", []byte(callAdmin)},
	} {
		rows = append(rows, smuggleRow{name: "content-encoding/" + c.name, body: c.body, hdr: http.Header{"Content-Encoding": {c.enc}}})
	}
	rows = append(rows, smuggleRow{name: "content-encoding/gzip of a utf-7 body", body: gzipBytes([]byte(u7call)),
		hdr: http.Header{"Content-Encoding": {"gzip"}, "Content-Type": {"application/json; charset=utf-7"}}})

	// JSON escapes: the guard must decode them and refuse.
	for _, c := range []struct{ name, body string }{
		{`tools\/call`, `{"jsonrpc":"2.0","id":3,"method":"tools\/call","params":{"name":"admin_stats","arguments":{}}}`},
		{`admin\u005fstats`, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"admin\u005fstats","arguments":{}}}`},
		{`\u0074ools/call`, `{"jsonrpc":"2.0","id":3,"method":"\u0074ools/call","params":{"name":"admin_stats","arguments":{}}}`},
		{`all escaped`, `{"jsonrpc":"2.0","id":3,"method":"\u0074ools\/call","params":{"name":"\u0061dmin\u005Fstats","arguments":{}}}`},
		{`tools\/list`, `{"jsonrpc":"2.0","id":3,"method":"tools\/list"}`},
		{`escaped key "n\u0061me"`, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"n\u0061me":"admin_stats","arguments":{}}}`},
		{`escaped key "m\u0065thod"`, `{"jsonrpc":"2.0","id":3,"m\u0065thod":"tools/call","params":{"name":"admin_stats","arguments":{}}}`},
	} {
		rows = append(rows, smuggleRow{name: "escape/" + c.name, body: b(c.body)})
	}

	// Duplicate and case-variant members.
	for _, c := range []struct{ name, body string }{
		{"method twice, call last", `{"jsonrpc":"2.0","id":3,"method":"tools/list","method":"tools/call","params":{"name":"admin_stats"}}`},
		{"method twice, call first", `{"jsonrpc":"2.0","id":3,"method":"tools/call","method":"tools/list","params":{"name":"admin_stats"}}`},
		{"name twice, admin last", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","name":"admin_stats"}}`},
		{"name twice, admin first", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"admin_stats","name":"echo"}}`},
		{`escaped duplicate "na\u006de"`, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","na\u006de":"admin_stats"}}`},
		{"METHOD", `{"jsonrpc":"2.0","id":3,"method":"tools/list","METHOD":"tools/call","params":{"name":"admin_stats"}}`},
		{"Method", `{"jsonrpc":"2.0","id":3,"method":"tools/list","Method":"tools/call","params":{"name":"admin_stats"}}`},
		{"Method only", `{"jsonrpc":"2.0","id":3,"Method":"tools/call","params":{"name":"admin_stats"}}`},
		{"NAME", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","NAME":"admin_stats"}}`},
		{"Name only", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"Name":"admin_stats"}}`},
		{"PARAMS", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"},"PARAMS":{"name":"admin_stats"}}`},
		{"long s paramſ", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"paramſ\":{\"name\":\"admin_stats\"},\"params\":{\"name\":\"echo\"}}"},
		{"params twice", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"},"params":{"name":"admin_stats"}}`},
		{"duplicate ids", `{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"echo"}}`},
		{"duplicate ids on admin_stats", `{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"admin_stats"}}`},
	} {
		rows = append(rows, smuggleRow{name: "duplicate/" + c.name, body: b(c.body)})
	}

	// BOMs.
	rows = append(rows,
		smuggleRow{name: "bom/utf-8 BOM", body: append([]byte("\xEF\xBB\xBF"), callAdmin...)},
		smuggleRow{name: "bom/utf-8 BOM with charset=utf-8", body: append([]byte("\xEF\xBB\xBF"), callAdmin...), hdr: ct("application/json; charset=utf-8")},
		smuggleRow{name: "bom/utf-8 BOM on tools/list", body: append([]byte("\xEF\xBB\xBF"), listTools...)},
		smuggleRow{name: "bom/utf-16LE BOM, no charset", body: utf16Bytes(callAdmin, false, true)},
		smuggleRow{name: "bom/utf-16BE BOM, no charset", body: utf16Bytes(callAdmin, true, true)},
		smuggleRow{name: "bom/utf-16LE BOM, charset=utf-16", body: utf16Bytes(callAdmin, false, true), hdr: ct("application/json; charset=utf-16")},
	)

	// Batches.
	rows = append(rows,
		smuggleRow{name: "batch/echo then admin_stats", body: b(`[` + callEcho3 + `,{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"admin_stats","arguments":{}}}]`)},
		smuggleRow{name: "batch/admin_stats alone", body: b(`[` + callAdmin + `]`)},
		smuggleRow{name: "batch/echo then undeclared", body: b(`[` + callEcho3 + `,{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"secret_undeclared"}}]`)},
		smuggleRow{name: "batch/tools/list in a batch", body: b(`[` + listTools + `]`)},
		smuggleRow{name: "batch/utf-7 batch", body: b(utf7(`[`+callEcho3+`,{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"admin_stats","arguments":{}}}]`, "/_", false)), hdr: ct("application/json; charset=utf-7")},
	)

	// Header tricks.
	modern := func(method, name string) http.Header {
		h := http.Header{"Mcp-Protocol-Version": {"2026-07-28"}, "Mcp-Method": {method}}
		if name != "" {
			h["Mcp-Name"] = []string{name}
		}
		return h
	}
	with := func(h http.Header, k string, v ...string) http.Header { h[k] = v; return h }
	rows = append(rows,
		smuggleRow{name: "header/Connection: Mcp-Session-Id", body: b(callAdmin), hdr: http.Header{"Connection": {"Mcp-Session-Id"}}},
		smuggleRow{name: "header/Connection: Mcp-Protocol-Version", body: b(callAdmin), hdr: http.Header{"Connection": {"Mcp-Protocol-Version"}}},
		smuggleRow{name: "header/Connection: Mcp-Session-Id on tools/list", body: b(listTools), hdr: http.Header{"Connection": {"Mcp-Session-Id"}}},
		smuggleRow{name: "header/Connection: Content-Type with utf-7", body: b(u7call), hdr: http.Header{"Connection": {"Content-Type"}, "Content-Type": {"application/json; charset=utf-7"}}},
		smuggleRow{name: "header/Mcp_Session_Id twin", body: b(callAdmin), hdr: http.Header{"Mcp_Session_Id": {"$SID"}}},
		smuggleRow{name: "header/Mcp_Session_Id twin only", body: b(callAdmin), hdr: http.Header{"Mcp-Session-Id": nil, "Mcp_Session_Id": {"$SID"}}},
		smuggleRow{name: "header/Mcp_Name twin says admin_stats", body: b(callEcho3), hdr: http.Header{"Mcp_Name": {"admin_stats"}, "Mcp_Method": {"tools/call"}}},
		smuggleRow{name: "header/2026-07-28, headers say echo, body admin_stats", body: b(callAdmin), hdr: modern("tools/call", "echo")},
		smuggleRow{name: "header/2026-07-28, headers say admin_stats, body echo", body: b(callEcho3), hdr: modern("tools/call", "admin_stats")},
		smuggleRow{name: "header/2026-07-28, base64 Mcp-Name admin_stats, body echo", body: b(callEcho3), hdr: modern("tools/call", "=?base64?"+base64.StdEncoding.EncodeToString([]byte("admin_stats"))+"?=")},
		smuggleRow{name: "header/2026-07-28, headers and body admin_stats", body: b(callAdmin), hdr: modern("tools/call", "admin_stats")},
		smuggleRow{name: "header/2026-07-28, Mcp-Method tools/list, body tools/list", body: b(listTools), hdr: modern("tools/list", "")},
		smuggleRow{name: "header/2026-07-28, Connection: Mcp-Name, body echo", body: b(callEcho3), hdr: with(modern("tools/call", "echo"), "Connection", "Mcp-Method, Mcp-Name")},
		smuggleRow{name: "header/2026-07-28 utf-7 body", body: b(u7call), hdr: with(modern("tools+AC8-call", ""), "Content-Type", "application/json; charset=utf-7")},
	)

	// mcphandler's TestSmuggling bodies, with its admin tool renamed.
	for i, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call","params":{"name":"admin_stats"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call","params":{"name":"admin_stats"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list","params":{"name":"admin_stats"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","NAME":"admin_stats"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"admin_stats"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","na\u006de":"admin_stats"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"PARAMS":{"name":"admin_stats"}}`,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"paramſ\":{\"name\":\"admin_stats\"},\"params\":{\"name\":\"echo\"}}",
		`{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"echo"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_stats"}}]`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_undeclared"}}]`,
		`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"admin\u005fstats"}}`,
	} {
		rows = append(rows, smuggleRow{name: fmt.Sprintf("unit/TestSmuggling #%d", i+1), body: b(body)})
	}
	return rows
}

// replaySmuggling opens a reader and an admin session through the gateway
// and sends every row.
func replaySmuggling(t *testing.T, gw started, up smuggleUpstream) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)

	send := func(t *testing.T, token, sid, version string, row smuggleRow) (int, http.Header, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, gw.endpoint, bytes.NewReader(row.body))
		require.NoError(t, err)
		req.Header["Content-Type"] = []string{"application/json"}
		req.Header["Accept"] = []string{"application/json, text/event-stream"}
		req.Header["Authorization"] = []string{"Bearer " + token}
		if sid != "" {
			req.Header["Mcp-Session-Id"] = []string{sid}
		}
		if version != "" {
			req.Header["Mcp-Protocol-Version"] = []string{version}
		}
		for k, v := range row.hdr {
			if v == nil {
				delete(req.Header, k)
				continue
			}
			vs := make([]string, len(v))
			for i, s := range v {
				vs[i] = strings.ReplaceAll(s, "$SID", sid)
			}
			req.Header[k] = vs
		}
		resp, err := client.Do(req)
		require.NoError(t, err, row.name)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err, "reading the response of %s", row.name)
		return resp.StatusCode, resp.Header, string(body)
	}

	initialize := func(token string) (sid, version string) {
		t.Helper()
		const init = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"smuggler","version":"1"}}}`
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, gw.endpoint, strings.NewReader(init))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		sid = resp.Header.Get("Mcp-Session-Id")
		require.NotEmpty(t, sid, "initialize opened no session")
		for _, m := range rpcMessages(string(body)) {
			var r struct {
				Result struct {
					ProtocolVersion string `json:"protocolVersion"`
				} `json:"result"`
			}
			if json.Unmarshal(m, &r) == nil && r.Result.ProtocolVersion != "" {
				version = r.Result.ProtocolVersion
			}
		}
		require.NotEmpty(t, version, "no protocol version in %s", body)
		status, _, body2 := send(t, token, sid, version, smuggleRow{name: "notifications/initialized", body: []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)})
		require.Equal(t, http.StatusAccepted, status, body2)
		return sid, version
	}
	readerSID, version := initialize(gw.reader)
	adminSID, _ := initialize(gw.admin)
	t.Logf("reader session %s, admin session %s, protocol %s", readerSID, adminSID, version)

	for _, row := range smuggleRows() {
		t.Run(row.name, func(t *testing.T) {
			token, sid := gw.reader, readerSID
			if row.admin {
				token, sid = gw.admin, adminSID
			}
			before := up.execs(t)
			status, hdr, body := send(t, token, sid, version, row)
			after := up.execs(t)
			t.Logf("%d %s", status, clip(body, 400))
			if s := hdr.Values("Mcp-Session-Id"); len(s) > 0 && (len(s) > 1 || s[0] != sid) {
				t.Logf("response carries another Mcp-Session-Id: %q", s)
			}
			ran := map[string]int64{}
			for k, v := range after {
				if d := v - before[k]; d != 0 {
					ran[k] = d
				}
			}
			listed := listedTools(body)
			if row.want != nil {
				assert.Equal(t, http.StatusOK, status, body)
				assert.Equal(t, row.want, ran, "executions caused by the control row")
				if !row.admin {
					assert.NotContains(t, listed, "admin_stats", "a reader's tools/list names admin_stats")
				}
				if row.body != nil && strings.Contains(string(row.body), `"tools/list"`) {
					assert.Contains(t, listed, "echo", "the reader's tools/list lists echo")
				}
				return
			}
			assert.Zero(t, ran["admin_stats"], "the upstream EXECUTED admin_stats for the reader (HTTP %d: %s)", status, clip(body, 200))
			assert.NotContains(t, listed, "admin_stats", "the reader got a tools/list naming admin_stats (HTTP %d)", status)
			if len(ran) > 0 {
				t.Logf("executed: %v", ran)
			}
		})
	}
}

// rpcMessages returns the JSON-RPC messages of a JSON body (one message or
// a batch) or of an SSE body (its data fields).
func rpcMessages(body string) []json.RawMessage {
	var out []json.RawMessage
	add := func(s string) {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "[") {
			var batch []json.RawMessage
			if json.Unmarshal([]byte(s), &batch) == nil {
				out = append(out, batch...)
			}
			return
		}
		if json.Valid([]byte(s)) {
			out = append(out, json.RawMessage(s))
		}
	}
	if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		add(t)
		return out
	}
	// SSE: events separated by blank lines; data fields joined by "\n".
	var data []string
	flush := func() {
		if len(data) > 0 {
			add(strings.Join(data, "\n"))
			data = nil
		}
	}
	for line := range strings.Lines(body) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			flush()
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
	}
	flush()
	return out
}

// listedTools returns the tool names of every tools/list result in body.
func listedTools(body string) []string {
	var names []string
	for _, m := range rpcMessages(body) {
		var r struct {
			Result struct {
				Tools []struct {
					Name string `json:"name"`
				} `json:"tools"`
			} `json:"result"`
		}
		if json.Unmarshal(m, &r) != nil {
			continue
		}
		for _, tool := range r.Result.Tools {
			names = append(names, tool.Name)
		}
	}
	return names
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// utf7 encodes, as UTF-7 (RFC 2152) shifted runs "+<base64 of UTF-16BE>-",
// the characters of s that are in hide, leaving the others as they are;
// imap uses the modified form of RFC 3501 ("&", with "," for "/").
func utf7(s, hide string, imap bool) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !strings.ContainsRune(hide, rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && strings.ContainsRune(hide, rs[j]) {
			j++
		}
		units := utf16.Encode(rs[i:j])
		raw := make([]byte, 2*len(units))
		for k, u := range units {
			bin.BigEndian.PutUint16(raw[2*k:], u)
		}
		enc := base64.RawStdEncoding.EncodeToString(raw)
		if imap {
			b.WriteByte('&')
			enc = strings.ReplaceAll(enc, "/", ",")
		} else {
			b.WriteByte('+')
		}
		b.WriteString(enc)
		b.WriteByte('-')
		i = j
	}
	return b.String()
}

// utf16Bytes encodes s as UTF-16, big- or little-endian, with or without
// a byte order mark.
func utf16Bytes(s string, be, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	out := make([]byte, 2*len(units))
	for i, u := range units {
		if be {
			bin.BigEndian.PutUint16(out[2*i:], u)
		} else {
			bin.LittleEndian.PutUint16(out[2*i:], u)
		}
	}
	return out
}

// utf32Bytes encodes s as UTF-32.
func utf32Bytes(s string, be, bom bool) []byte {
	rs := []rune(s)
	if bom {
		rs = append([]rune{0xFEFF}, rs...)
	}
	out := make([]byte, 4*len(rs))
	for i, r := range rs {
		if be {
			bin.BigEndian.PutUint32(out[4*i:], uint32(r))
		} else {
			bin.LittleEndian.PutUint32(out[4*i:], uint32(r))
		}
	}
	return out
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// deflateBytes is the zlib stream (RFC 1950) that HTTP calls deflate.
func deflateBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// brotliStored is a valid brotli stream (RFC 7932) holding b in one
// uncompressed meta-block, for b shorter than 64 KiB: window bits 16, a
// meta-block header (not last, four length nibbles, MLEN-1, uncompressed),
// padding to a byte, the bytes, then an empty last meta-block.
func brotliStored(b []byte) []byte {
	n := uint32(len(b) - 1)
	// bit 0 WBITS=16 (0); bit 1 ISLAST=0; bits 2-3 MNIBBLES=4 (00);
	// bits 4-19 MLEN-1; bit 20 ISUNCOMPRESSED=1; bits 21-23 padding.
	hdr := n<<4 | 1<<20
	out := []byte{byte(hdr), byte(hdr >> 8), byte(hdr >> 16)}
	out = append(out, b...)
	return append(out, 0x03) // ISLAST=1, ISLASTEMPTY=1
}
