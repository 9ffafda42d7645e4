package mcphandler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"

	mcpgo "github.com/mark3labs/mcp-go/mcp"
	mcpgoserver "github.com/mark3labs/mcp-go/server"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	segjson "github.com/segmentio/encoding/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file checks parseBody against the decoders of the SDKs that serve
// behind the guard: whenever the guard accepts a body, each SDK must read
// the same messages from it, with the same method, target name and id.
// An SDK refusing a body the guard accepted is not a disagreement.

// sdkMessage is what an SDK reads from one JSON-RPC message.
type sdkMessage struct {
	request bool
	method  string
	id      any // nil, or the SDK's decoded id: string, int64 or float64
	// name is params.name or params.uri for the methods that have one;
	// named reports whether the SDK decoded params and so would run it.
	name  string
	named bool
}

// --- go-sdk v1.8.0 ---

// gosdkWire mirrors wireDecode of go-sdk v1.8.0
// (internal/jsonrpc2/messages.go); gosdkWireError mirrors WireError
// (internal/jsonrpc2/wire.go). The json.RawMessage fields are
// encoding/json's type, as there; segmentio's RawMessage is an alias.
type gosdkWire struct {
	VersionTag string          `json:"jsonrpc"`
	ID         any             `json:"id,omitempty"`
	Method     json.RawMessage `json:"method"`
	Params     json.RawMessage `json:"params,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *gosdkWireError `json:"error,omitempty"`
}

type gosdkWireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// gosdkUnmarshal decodes as go-sdk's internal/json.Unmarshal: a segmentio
// Decoder that matches struct fields case-sensitively. Its 1000-level
// depth check is left out: it can only refuse, and the guard already
// refuses anything deeper than jsonscan.MaxDepth (512).
func gosdkUnmarshal(data []byte, v any) error {
	dec := segjson.NewDecoder(bytes.NewReader(data))
	dec.DontMatchCaseInsensitiveStructFields()
	return dec.Decode(v)
}

// gosdkDecodeMessage mirrors jsonrpc2.DecodeMessage and MakeID.
func gosdkDecodeMessage(data []byte) (sdkMessage, bool) {
	var w gosdkWire
	if gosdkUnmarshal(data, &w) != nil || w.VersionTag != "2.0" {
		return sdkMessage{}, false
	}
	var id any
	switch v := w.ID.(type) {
	case nil:
	case float64:
		id = int64(v)
	case string:
		id = v
	default:
		return sdkMessage{}, false
	}
	if len(w.Method) > 0 {
		var method string
		if gosdkUnmarshal(w.Method, &method) != nil {
			return sdkMessage{}, false
		}
		m := sdkMessage{request: true, method: method, id: id}
		m.name, m.named = gosdkParams(method, w.Params)
		return m, true
	}
	if id == nil {
		return sdkMessage{}, false
	}
	return sdkMessage{id: id}, true
}

// gosdkParams decodes params as the go-sdk server does for the methods
// that name a target (checkRequest, then methodInfo.unmarshalParams into
// the server's own params types, through internal/json).
func gosdkParams(method string, params json.RawMessage) (string, bool) {
	if nameParam(method) == "" || len(params) == 0 {
		return "", false // no target, or "missing required params"
	}
	switch method {
	case "tools/call":
		var p *mcp.CallToolParamsRaw // the server's CallToolRequest params
		if gosdkUnmarshal(params, &p) != nil || p == nil {
			return "", false
		}
		return p.Name, true
	case "prompts/get":
		var p *mcp.GetPromptParams
		if gosdkUnmarshal(params, &p) != nil || p == nil {
			return "", false
		}
		return p.Name, true
	default: // resources/read
		var p *mcp.ReadResourceParams
		if gosdkUnmarshal(params, &p) != nil || p == nil {
			return "", false
		}
		return p.URI, true
	}
}

// gosdkReadBatch mirrors readBatch (mcp/transport.go), which the
// streamable server uses on POST bodies: an array of messages if the body
// decodes as one, else one message. The server then refuses batches for
// protocol 2025-06-18 and later, but accepts them for earlier versions,
// which is what it assumes when the MCP-Protocol-Version header is absent.
func gosdkReadBatch(body []byte) (msgs []sdkMessage, batch, ok bool) {
	var raws []json.RawMessage
	if gosdkUnmarshal(body, &raws) == nil {
		if len(raws) == 0 {
			return nil, true, false
		}
		for _, raw := range raws {
			m, ok := gosdkDecodeMessage(raw)
			if !ok {
				return nil, true, false
			}
			msgs = append(msgs, m)
		}
		return msgs, true, true
	}
	m, ok := gosdkDecodeMessage(body)
	return []sdkMessage{m}, false, ok
}

// checkGoSDKMirror compares the mirror with go-sdk's exported
// jsonrpc.DecodeMessage, so that the mirror cannot drift from the SDK.
func checkGoSDKMirror(t *testing.T, raw []byte, mirror sdkMessage, mirrorOK bool) {
	t.Helper()
	real, err := jsonrpc.DecodeMessage(raw)
	if (err == nil) != mirrorOK {
		t.Fatalf("mirror accepts %v, go-sdk DecodeMessage: %v, in %q", mirrorOK, err, raw)
	}
	if err != nil {
		return
	}
	switch r := real.(type) {
	case *jsonrpc.Request:
		if !mirror.request || r.Method != mirror.method || r.ID.Raw() != mirror.id {
			t.Fatalf("mirror reads %+v, go-sdk a request %q id %#v, in %q", mirror, r.Method, r.ID.Raw(), raw)
		}
	case *jsonrpc.Response:
		if mirror.request || r.ID.Raw() != mirror.id {
			t.Fatalf("mirror reads %+v, go-sdk a response id %#v, in %q", mirror, r.ID.Raw(), raw)
		}
	}
}

// --- mark3labs/mcp-go v1.2.1 ---

// mcpgoHandlePost mirrors the first decoding of a POST body in
// StreamableHTTPServer.handlePost (server/streamable_http.go).
type mcpgoHandlePost struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
	Method mcpgo.MCPMethod `json:"method,omitempty"`
}

// mcpgoBase mirrors baseMessage in MCPServer.HandleMessage
// (server/request_handler.go), which chooses the handler.
type mcpgoBase struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  mcpgo.MCPMethod `json:"method"`
	ID      any             `json:"id,omitempty"`
	Result  any             `json:"result,omitempty"`
}

// mcpgoDecodeMessage reads one message as mcp-go's streamable server and
// HandleMessage do, all with encoding/json (case-insensitive fields). The
// result is a request only if mcp-go would run it: a call (an id that is
// not null) without a result. Notifications are requests without an id.
func mcpgoDecodeMessage(data []byte) (sdkMessage, bool) {
	var post mcpgoHandlePost
	if json.Unmarshal(data, &post) != nil {
		return sdkMessage{}, false
	}
	if post.Method == "" && post.ID != nil {
		if mcpgoEmpty(post.Result) && mcpgoEmpty(post.Error) {
			return sdkMessage{}, false // acknowledged with 202 and dropped
		}
		// handleSamplingResponse routes it to the request of its id, read
		// as an int64.
		var id int64
		if json.Unmarshal(post.ID, &id) != nil {
			return sdkMessage{}, false
		}
		return sdkMessage{id: id}, true
	}
	var base mcpgoBase
	if json.Unmarshal(data, &base) != nil || base.JSONRPC != "2.0" {
		return sdkMessage{}, false
	}
	if base.ID == nil {
		if base.Method == "" {
			return sdkMessage{}, true // no handler for it: nothing runs
		}
		var n mcpgo.JSONRPCNotification
		if json.Unmarshal(data, &n) != nil {
			return sdkMessage{}, false
		}
		return sdkMessage{request: true, method: string(base.Method)}, true
	}
	if base.Result != nil {
		return sdkMessage{}, true // treated as a response, never run
	}
	m := sdkMessage{request: true, method: string(base.Method), id: base.ID}
	switch base.Method {
	case mcpgo.MethodToolsCall:
		var r mcpgo.CallToolRequest
		if json.Unmarshal(data, &r) == nil {
			m.name, m.named = r.Params.Name, true
		}
	case mcpgo.MethodPromptsGet:
		var r mcpgo.GetPromptRequest
		if json.Unmarshal(data, &r) == nil {
			m.name, m.named = r.Params.Name, true
		}
	case mcpgo.MethodResourcesRead:
		var r mcpgo.ReadResourceRequest
		if json.Unmarshal(data, &r) == nil {
			m.name, m.named = r.Params.URI, true
		}
	}
	return m, true
}

// mcpgoEmpty is mcp-go's isJSONEmpty (server/streamable_http.go): absent,
// null, or an object or array with nothing but white space inside. (A
// response whose result is exactly {} and that has no error is dropped
// as well; it is empty by this definition too.)
func mcpgoEmpty(data json.RawMessage) bool {
	t := bytes.TrimSpace(data)
	switch {
	case len(t) == 0, string(t) == "null":
		return true
	case t[0] == '{' || t[0] == '[':
		close := byte('}')
		if t[0] == '[' {
			close = ']'
		}
		inner := bytes.TrimLeftFunc(t[1:], unicode.IsSpace)
		return len(inner) > 0 && inner[0] == close
	}
	return false
}

// --- comparison ---

// sameID reports whether an SDK's decoded id v is the JSON value raw that
// the guard read (and echoes in its refusals). null and absent are the
// same: both SDKs read a request with a null id as a notification.
func sameID(raw []byte, v any) bool {
	if raw == nil || string(raw) == "null" {
		return v == nil
	}
	if raw[0] == '"' {
		s, ok := v.(string)
		var g string
		return ok && json.Unmarshal(raw, &g) == nil && g == s
	}
	var sdk *big.Rat
	switch n := v.(type) {
	case int64:
		sdk = new(big.Rat).SetInt64(n)
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return false
		}
		sdk = new(big.Rat).SetFloat64(n)
	default:
		return false
	}
	g, ok := numberRat(string(raw))
	return ok && g.Cmp(sdk) == 0
}

// numberRat returns the exact value of a JSON number, or false if its
// magnitude is beyond any float64 (so that huge exponents cost nothing).
func numberRat(lit string) (*big.Rat, bool) {
	mant, exp := lit, 0
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		mant = lit[:i]
		e, err := strconv.Atoi(lit[i+1:])
		switch {
		case err == nil:
			exp = e
		case strings.HasPrefix(lit[i+1:], "-"):
			exp = math.MinInt32
		default:
			exp = math.MaxInt32
		}
	}
	neg := strings.HasPrefix(mant, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(mant, "-"), ".")
	all := intPart + frac
	digits := strings.TrimLeft(all, "0")
	if digits == "" {
		return new(big.Rat), true
	}
	// The value is 0.digits × 10^order.
	order := exp + len(intPart) - (len(all) - len(digits))
	if order > 310 || order < -330 {
		return nil, false // beyond float64, from max to the least subnormal
	}
	n, _ := new(big.Int).SetString(digits, 10)
	if neg {
		n.Neg(n)
	}
	r := new(big.Rat).SetInt(n)
	e := order - len(digits)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(e, -e))), nil))
	if e < 0 {
		return r.Quo(r, p), true
	}
	return r.Mul(r, p), true
}

// compareSDK fails if sdk, which an SDK read from raw, means something
// else than the guard's g. strictKind also fails when only one of them
// reads a request.
func compareSDK(t *testing.T, who string, raw []byte, g message, sdk sdkMessage, strictKind bool) {
	t.Helper()
	guardRequest := g.method != ""
	if sdk.request != guardRequest {
		if sdk.request || strictKind {
			t.Fatalf("%s reads request=%v (method %q), the guard request=%v (method %q), in %q",
				who, sdk.request, sdk.method, guardRequest, g.method, raw)
		}
		return // the SDK ignores a message that the guard authorized
	}
	if sdk.method != g.method {
		t.Fatalf("%s reads method %q, the guard %q, in %q", who, sdk.method, g.method, raw)
	}
	if sdk.named && sdk.name != g.name {
		t.Fatalf("%s reads %s %q, the guard %q, in %q", who, nameParam(g.method), sdk.name, g.name, raw)
	}
	if !sameID(g.id, sdk.id) {
		t.Fatalf("%s reads id %#v, the guard %s, in %q", who, sdk.id, g.id, raw)
	}
}

// checkSDKs decodes a body that parseBody accepted as each SDK would.
func checkSDKs(t *testing.T, body []byte, msgs []message, batch bool) {
	t.Helper()
	var raws [][]byte
	if batch {
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			t.Fatalf("accepted batch that encoding/json refuses: %v", err)
		}
		for _, e := range elems {
			raws = append(raws, e)
		}
	} else {
		raws = [][]byte{body}
	}
	if len(raws) != len(msgs) {
		t.Fatalf("%d messages, encoding/json sees %d", len(msgs), len(raws))
	}

	// go-sdk: the whole body as its streamable server reads it, and each
	// element on its own as well, whatever becomes of the batch.
	sdkMsgs, sdkBatch, ok := gosdkReadBatch(body)
	if ok {
		if sdkBatch != batch || len(sdkMsgs) != len(msgs) {
			t.Fatalf("go-sdk reads batch=%v of %d, the guard batch=%v of %d, in %q", sdkBatch, len(sdkMsgs), batch, len(msgs), body)
		}
		for i := range msgs {
			compareSDK(t, "go-sdk", raws[i], msgs[i], sdkMsgs[i], true)
		}
	}
	for i, raw := range raws {
		sdk, ok := gosdkDecodeMessage(raw)
		checkGoSDKMirror(t, raw, sdk, ok)
		if ok {
			compareSDK(t, "go-sdk", raw, msgs[i], sdk, true)
		}
	}

	// mcp-go refuses batches (handlePost decodes the body into a struct);
	// its reading of each element is checked anyway.
	for i, raw := range raws {
		if sdk, ok := mcpgoDecodeMessage(raw); ok {
			compareSDK(t, "mcp-go", raw, msgs[i], sdk, false)
		}
	}
}

// FuzzParseBodyGoSDK checks that whenever parseBody accepts a body, the
// official go-sdk (segmentio/encoding/json, case-sensitive fields) and
// mark3labs/mcp-go (encoding/json) read the same method, target name and
// id from every message in it.
func FuzzParseBodyGoSDK(f *testing.F) {
	for _, s := range sdkSeeds {
		f.Add([]byte(s))
	}
	for _, s := range fragmentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, body := range fuzzBodies(in) {
			msgs, batch, perr := parseBody(body, nil, fuzzNames)
			if perr != nil {
				continue
			}
			checkSDKs(t, body, msgs, batch)
		}
	})
}

// fuzzTemplates are where the fuzz input goes, at $$: first alone, as a
// whole body, then in places of a body that the guard would otherwise
// accept, so that most inputs reach the SDKs' decoders: string contents
// (escapes), keys beside the significant ones, values.
var fuzzTemplates = []string{
	"$$",
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"$$"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","$$":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"$$":"file:///b","uri":"file:///a"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","$$":"tools/call","params":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"p"},"$$":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":"$$","method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1,"method":"$$","params":{"name":"echo","uri":"file:///a"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",$$}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},$$}`,
	`{"jsonrpc":"2.0","id":$$,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1,"result":{},$$}`,
	`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},$$]`,
}

// fuzzBodies returns the bodies that the fuzz input in stands for.
func fuzzBodies(in []byte) [][]byte {
	bodies := make([][]byte, len(fuzzTemplates))
	for i, tmpl := range fuzzTemplates {
		before, after, _ := strings.Cut(tmpl, "$$")
		bodies[i] = slices.Concat([]byte(before), in, []byte(after))
	}
	return bodies
}

// fragmentSeeds suit the templates.
var fragmentSeeds = []string{
	`echo`, `admin\u005freset`, `\u0000`, `\ud800`, `\ud800\udc00`, `\udbff\udfff`, `\u00e9`, `\/`,
	`name`, `NAME`, `Name`, `nam\u0065`, `\u006eame`, `nam\u0065\u0000`, `uri`, `URI`, `ur\u0069`,
	`method`, `METHOD`, `m\u0065thod`, `params`, `paramſ`, `PARAMS`, `id`, `ID`, `\u0069d`, `jsonrpc`,
	"\u212a", `\u212a`, `result`, `error`, `tools/call`, `tools\/call`, `\u0074ools/call`, `resources/read`,
	`"method":"tools/call"`, `"name":"admin_reset"`, `"\u006eame":"admin_reset"`, `"params":{"name":"x"}`,
	`"id":2`, `"METHOD":"tools/call"`, `"x":{"name":"y","method":"z"}`,
	`1`, `-0`, `1.5`, `9007199254740993`, `"x"`, `null`, `1e2`,
	`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset"}}`,
}

// sdkSeeds are bodies whose meaning a lax or different parser could read
// otherwise; most are refused by the guard, the rest must agree.
var sdkSeeds = []string{
	callEcho, listBody, initBody,
	`[` + callEcho + `,` + listBody + `]`,
	`{"jsonrpc":"2.0","id":1,"result":{}}`,
	`{"jsonrpc":"2.0","id":"r","error":{"code":-1,"message":"x"}}`,
	`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
	`{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"p","arguments":{"a":"b"}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///etc/shadow"}}`,

	// TestSmuggling.
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call","params":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","Method":"tools/call","params":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list","params":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","NAME":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","na\u006de":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"PARAMS":{"name":"admin_reset"}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"paramſ\":{\"name\":\"admin_reset\"},\"params\":{\"name\":\"echo\"}}",
	`{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"echo"}}`,
	`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_reset"}}]`,
	`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"admin\u005freset"}}`,

	// Escapes.
	`{"jsonrpc":"2.0","id":1,"method":"\u0074ools/call","params":{"name":"echo"}}`,
	`{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","params":{"\u006eame":"echo"}}`,
	`{"\u006asonrpc":"\u0032.0","\u0069d":"\u0031","method":"resources\/read","params":{"ur\u0069":"file:\/\/\/a"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\u0000echo\u001f"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name\u0000":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"params\u0000":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"e\"c\\h\/o\b\f\n\r\t"}}`,

	// Case variants, including non-ASCII folds: U+017F (ſ) folds to s,
	// U+212A (Kelvin sign) to k.
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"admin_reset","name":"echo"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"x","URI":"y"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"x","Uri":"y"}}`,
	"{\"jſonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"\u212aname\":\"admin_reset\"}}",
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"\\u212a\":\"admin_reset\"}}",
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"\u212aelvin\"}}",
	`{"jsonrpc":"2.0","ID":1,"id":2,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"Result":{}}`,

	// Duplicates.
	`{"jsonrpc":"2.0","jsonrpc":"1.0","id":1,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"params":{"name":"admin_reset"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","uri":"b"}}`,
	`{"jsonrpc":"2.0","id":1,"result":{},"result":{}}`,

	// Invalid UTF-8 in strings and keys.
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ech\xff\"}}",
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"name\xc0\":\"admin_reset\"}}",
	"{\"jsonrpc\":\"2.0\",\"id\":\"\xed\xa0\x80\",\"method\":\"tools/list\"}",

	// Surrogate escapes.
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\ud800"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\udc00b"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud83d\ude00"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud800\u0041"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud800\ud800\udc00"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud800\\u0041"}}`,
	`{"jsonrpc":"2.0","id":"\ud800","method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\uD83D\uDE00\u00E9\uFFFF\uFEFF\u2028"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\ud800\n"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\udc00\ud800"}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"\\ud800\u00e9\"}}",
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"caf\u00e9\x7f\"}}",
	`{"jsonrpc":"2.0","id":"a\"b","method":"tools/call","params":{"name":"12345678\"9"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","nam\ud800":"admin_reset"}}`,

	// Deep nesting.
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":` + strings.Repeat("[", 510) + strings.Repeat("]", 510) + `}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":` + strings.Repeat(`{"a":`, 600) + `1` + strings.Repeat("}", 600) + `}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":"` + strings.Repeat("[", 2000) + `"}}`,

	// Ids.
	`{"jsonrpc":"2.0","id":0,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":-0,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":-1,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1.0,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1e2,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1E+2,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1e-2,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1e-400,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":9223372036854775807,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":-9223372036854775809,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":null,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":null,"result":{}}`,
	`{"jsonrpc":"2.0","id":null,"result":{"content":[]}}`,
	`{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}}`,
	`{"jsonrpc":"2.0","id":"","method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":true,"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":{},"method":"tools/list"}`,
	`{"jsonrpc":"2.0","id":1.5,"result":{}}`,

	// Whitespace, BOM, NUL.
	" \t\r\n{ \"jsonrpc\" : \"2.0\" , \"id\" : 1 , \"method\" : \"tools/call\" , \"params\" : { \"name\" : \"echo\" } } \n",
	"\n[\n" + callEcho + "\n,\n" + listBody + "\n]\n",
	"\ufeff" + callEcho,
	"\x00" + callEcho,
	callEcho + "\x00",
	"\f" + callEcho,
	"\u00a0" + callEcho,
	callEcho + callEcho,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\x00\"}}",

	// Odd shapes.
	`[]`,
	`[1]`,
	`[[` + callEcho + `]]`,
	`{"jsonrpc":"2.0","id":1,"method":"","params":{}}`,
	`{"jsonrpc":"2.0","id":1,"method":null,"result":{}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[{"name":"echo"}]}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"name":"admin_reset"}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"name":"admin_reset"}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"result":1}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"},"error":{"code":1,"message":"x"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"admin_reset"},"error":"x"}`,
	`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"notifications/initialized"}`,
}

// ran is one request that a real SDK server ran: the method and the
// target name it read.
type ran struct{ method, name string }

// goSDKServer is a stateless go-sdk streamable server that records the
// requests it runs, after decoding their params.
func goSDKServer(t *testing.T, record func(ran)) http.Handler {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	s.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			r := ran{method: method}
			switch p := req.GetParams().(type) {
			case *mcp.CallToolParamsRaw:
				r.name = p.Name
			case *mcp.GetPromptParams:
				r.name = p.Name
			case *mcp.ReadResourceParams:
				r.name = p.URI
			}
			record(r)
			return next(ctx, method, req)
		}
	})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
}

// mcpgoServer is a stateless mcp-go streamable server that records the
// requests it runs, after decoding them.
func mcpgoServer(t *testing.T, record func(ran)) http.Handler {
	t.Helper()
	hooks := &mcpgoserver.Hooks{}
	hooks.AddBeforeAny(func(_ context.Context, _ any, method mcpgo.MCPMethod, message any) {
		r := ran{method: string(method)}
		switch m := message.(type) {
		case *mcpgo.CallToolRequest:
			r.name = m.Params.Name
		case *mcpgo.GetPromptRequest:
			r.name = m.Params.Name
		case *mcpgo.ReadResourceRequest:
			r.name = m.Params.URI
		}
		record(r)
	})
	s := mcpgoserver.NewMCPServer("t", "1", mcpgoserver.WithHooks(hooks),
		mcpgoserver.WithToolCapabilities(false), mcpgoserver.WithPromptCapabilities(false),
		mcpgoserver.WithResourceCapabilities(false, false))
	return mcpgoserver.NewStreamableHTTPServer(s, mcpgoserver.WithStateLess(true),
		mcpgoserver.WithStreamableHTTPLogger(slog.New(slog.DiscardHandler)))
}

// TestSDKServersRunWhatGuardRead posts every body of the seeds and the
// checked-in corpus (see fuzzBodies) that the guard accepts to real go-sdk and mcp-go servers: each
// request they run must be one of the guard's messages, by method and
// target name. This checks end to end what the fuzz target checks
// against the mirrors.
func TestSDKServersRunWhatGuardRead(t *testing.T) {
	var inputs [][]byte
	for _, s := range slices.Concat(sdkSeeds, fragmentSeeds) {
		inputs = append(inputs, []byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseBodyGoSDK", "*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		var in []byte
		_, err = fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[1], "[]byte(%q)", &in)
		require.NoError(t, err, file)
		inputs = append(inputs, in)
	}
	var bodies []string
	for _, in := range inputs {
		for _, body := range fuzzBodies(in) {
			bodies = append(bodies, string(body))
		}
	}
	var (
		mu  sync.Mutex
		got []ran
	)
	record := func(r ran) { mu.Lock(); got = append(got, r); mu.Unlock() }
	servers := map[string]http.Handler{"go-sdk": goSDKServer(t, record), "mcp-go": mcpgoServer(t, record)}
	accepted, runs := 0, map[string]int{}
	for _, body := range bodies {
		msgs, _, perr := parseBody([]byte(body), nil, fuzzNames)
		if perr != nil {
			continue
		}
		accepted++
		for who, h := range servers {
			mu.Lock()
			got = nil
			mu.Unlock()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			h.ServeHTTP(httptest.NewRecorder(), req)
			mu.Lock()
			runs[who] += len(got)
			if body == callEcho {
				assert.Equal(t, []ran{{"tools/call", "echo"}}, got, who)
			}
			for _, r := range got {
				assert.True(t, slices.ContainsFunc(msgs, func(m message) bool { return m.method == r.method && m.name == r.name }),
					"%s ran %s %q, the guard read %+v, in %q", who, r.method, r.name, msgs, body)
			}
			mu.Unlock()
		}
	}
	t.Logf("%d bodies accepted by the guard; requests run: %v", accepted, runs)
}

// fuzzNames are names the guard interns, as a policy's tools are, so that
// the fuzzers cover that path too (one holds a backslash).
var fuzzNames = internTable("echo", "admin_reset", `a\u0062`, "file:///a")
