package mcpauthtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/mcpauth/mcpauth/internal/fetch"
)

// maxBody bounds what is read of an answer.
const maxBody = 1 << 20

// protocolVersion is the revision the checks speak.
const protocolVersion = "2025-11-25"

// probe sends a Target's requests.
type probe struct {
	ctx      context.Context
	t        *Target
	client   *http.Client
	endpoint string // the absolute URL of the MCP endpoint
	ids      atomic.Int64
}

// answer is a server's answer to one request.
type answer struct {
	status int
	header http.Header
	body   []byte
	msg    *rpcMessage // the JSON-RPC message answering the request, if any
	err    error       // no answer at all
}

// rpcMessage is a JSON-RPC response.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ran reports whether the answer carries a result: what a refused request
// must never have.
func (a *answer) ran() bool {
	return a.msg != nil && len(a.msg.Result) > 0 && string(a.msg.Result) != "null"
}

func (a *answer) sessionID() string { return a.header.Get("Mcp-Session-Id") }

// String describes the answer in a few words.
func (a *answer) String() string {
	if a.err != nil {
		return "no answer: " + a.err.Error()
	}
	s := strconv.Itoa(a.status)
	if a.ran() {
		s += " with a result"
	}
	if sid := a.sessionID(); sid != "" {
		s += " and a session id"
	}
	return s
}

// request is one HTTP request of a check.
type request struct {
	method  string // default POST
	token   string // "" for none
	session string
	body    string
	header  http.Header // added as is
	query   string      // appended to the endpoint
}

func (p *probe) do(rq request) answer {
	method := rq.method
	if method == "" {
		method = http.MethodPost
	}
	u := p.endpoint
	if rq.query != "" {
		u += "?" + rq.query
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(p.ctx, method, u, body)
	if err != nil {
		return answer{err: fetch.Redact(err)}
	}
	if rq.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.session != "" {
		req.Header.Set("Mcp-Session-Id", rq.session)
		req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	}
	for k, v := range rq.header {
		req.Header[k] = append(req.Header[k], v...)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return answer{err: fetch.Redact(err)}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if method == http.MethodGet && resp.StatusCode == http.StatusOK {
		return a // an event stream: nothing to read to its end
	}
	ct := resp.Header.Get("Content-Type")
	if isEventStream(ct) {
		// A server may keep the stream open after its answer: read up to
		// the response event, no further.
		a.body, a.msg = readEvents(io.LimitReader(resp.Body, maxBody))
		return a
	}
	a.body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	a.msg = rpcIn(ct, a.body)
	return a
}

func isEventStream(contentType string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "text/event-stream")
}

// readEvents reads server-sent events from r until one carries a JSON-RPC
// response, and returns what it read and that response. An event's data
// lines are joined with newlines; lines end with LF, CRLF or CR.
func readEvents(r io.Reader) ([]byte, *rpcMessage) {
	var read bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(r, &read))
	sc.Buffer(make([]byte, 0, 64<<10), maxBody)
	sc.Split(scanSSELines)
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" { // the event ends
			if m := rpcIn("application/json", []byte(strings.Join(data, "\n"))); m != nil {
				return read.Bytes(), m
			}
			data = data[:0]
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
	}
	return read.Bytes(), rpcIn("application/json", []byte(strings.Join(data, "\n")))
}

// scanSSELines splits at LF, CRLF or a lone CR (the event stream format's
// line ends).
func scanSSELines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // a CRLF may be cut between reads
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// rpcIn finds the JSON-RPC response in a body: the JSON document, or the
// first event of a stream that is a response.
func rpcIn(contentType string, body []byte) *rpcMessage {
	if isEventStream(contentType) {
		_, m := readEvents(bytes.NewReader(body))
		return m
	}
	var m rpcMessage
	if json.Unmarshal(body, &m) != nil || (m.Result == nil && m.Error == nil) {
		return nil
	}
	return &m
}

// Bodies of the requests the checks send, each with a fresh id.
func (p *probe) initBody() (string, int64) {
	id := p.ids.Add(1)
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"mcpauth-check","version":"1"}}}`, id, protocolVersion), id
}

func (p *probe) listBody() (string, int64) {
	id := p.ids.Add(1)
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, id), id
}

func (p *probe) callBody(tool string, args map[string]any) (string, int64) {
	id := p.ids.Add(1)
	if args == nil {
		args = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": map[string]any{"name": tool, "arguments": args}})
	return string(b), id
}

// modernBody is a request of the 2026-07-28 revision, which carries the
// revision and the client in params._meta instead of a session; name is
// the tool of a tools/call ("" for another method).
func (p *probe) modernBody(method, name string, args map[string]any) (string, int64) {
	id := p.ids.Add(1)
	params := map[string]any{"_meta": map[string]any{
		"io.modelcontextprotocol/protocolVersion":    revision2026,
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "mcpauth-check", "version": "1"},
		"io.modelcontextprotocol/clientCapabilities": map[string]any{},
	}}
	if name != "" {
		if args == nil {
			args = map[string]any{}
		}
		params["name"], params["arguments"] = name, args
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return string(b), id
}

// useBody is a request Token may make: its tool, or tools/list.
func (p *probe) useBody() (string, int64) {
	if p.t.Tool != "" {
		return p.callBody(p.t.Tool, p.t.Arguments)
	}
	return p.listBody()
}

// connect initializes a session with token, as a client does: initialize,
// then notifications/initialized. The session id is "" for a server that
// keeps none.
func (p *probe) connect(token string) (string, answer) {
	body, _ := p.initBody()
	a := p.do(request{token: token, body: body})
	if a.err != nil || a.status != http.StatusOK {
		return "", a
	}
	sid := a.sessionID()
	n := p.do(request{token: token, session: sid, body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`, header: versionHeader(sid)})
	if n.err != nil || n.status/100 != 2 {
		return "", n
	}
	return sid, a
}

// versionHeader is the protocol version header of a request outside a
// session (inside one, do sets it).
func versionHeader(sid string) http.Header {
	if sid != "" {
		return nil
	}
	return http.Header{"Mcp-Protocol-Version": {protocolVersion}}
}

// end deletes a session the checks opened; errors are ignored.
func (p *probe) end(token, sid string) {
	if sid != "" {
		p.do(request{method: http.MethodDelete, token: token, session: sid})
	}
}
