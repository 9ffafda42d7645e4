package mcphandler

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

// message is what the guard needs to know of one JSON-RPC message.
type message struct {
	method string // "" for a response
	id     []byte // raw id; nil for notifications
	name   string // params.name (tools/call, prompts/get) or params.uri (resources/read, subscribe, unsubscribe)
}

// rpcError is a refusal found while reading a body; it becomes a 400.
type rpcError struct {
	code int
	msg  string
	id   []byte
}

var (
	errParse   = &rpcError{code: jsonrpcerr.CodeParseError, msg: "parse error"}
	errEmpty   = &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "empty batch"}
	errNotObj  = &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "batch elements must be objects"}
	errVersion = &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: `jsonrpc must be "2.0"`}
)

// nameParam returns the params member that names the target of method, or
// "" for methods that have none.
func nameParam(method string) string {
	switch method {
	case "tools/call", "prompts/get":
		return "name"
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		return "uri"
	}
	return ""
}

// parseBody reads a POST body as one JSON-RPC message or a batch. It is
// stricter than the servers behind it on purpose: any key that a
// case-insensitive decoder (encoding/json matches struct fields with
// Unicode case folding) could read as a significant member, and any
// duplicate of one, is refused, so the guard and the server can never
// disagree on which method, tool or id a body carries.
//
// names maps strings the caller knows (such as the tools a policy names)
// to themselves, so that a target name found among them costs no
// allocation; it may be nil.
func parseBody(body []byte, dst []message, names map[string]string) (msgs []message, batch bool, perr *rpcError) {
	if !utf8.Valid(body) {
		// encoding/json would read invalid bytes as U+FFFD; refuse rather
		// than read a name the server reads differently.
		return nil, false, errParse
	}
	switch jsonscan.First(body) {
	case '{':
		m, perr := parseMessage(body, names)
		if perr != nil {
			return nil, false, perr
		}
		return append(dst, m), false, nil
	case '[':
		var elems [][]byte
		if !jsonscan.Array(body, func(v []byte) { elems = append(elems, v) }) {
			return nil, true, errParse
		}
		if len(elems) == 0 {
			return nil, true, errEmpty
		}
		msgs = dst
		for _, e := range elems {
			if jsonscan.First(e) != '{' {
				return nil, true, errNotObj
			}
			m, perr := parseMessage(e, names)
			if perr != nil {
				return nil, true, perr
			}
			msgs = append(msgs, m)
		}
		return msgs, true, nil
	}
	return nil, false, errParse
}

// Significant top-level members.
const (
	fJSONRPC = 1 << iota
	fID
	fMethod
	fParams
	fResult
	fError
)

var topKeys = [...]struct {
	name string
	bit  int
}{{"jsonrpc", fJSONRPC}, {"id", fID}, {"method", fMethod}, {"params", fParams}, {"result", fResult}, {"error", fError}}

func parseMessage(b []byte, names map[string]string) (message, *rpcError) {
	var (
		m                       message
		seen                    int
		bad                     bool
		version, method, params []byte
		target                  [2]param // params.name and params.uri
	)
	paramsMember := func(key, value []byte) {
		i, exact := matchMember(key, paramKeyNames[:])
		switch {
		case i < 0:
		case !exact || target[i].seen:
			bad = true
		default:
			target[i] = param{seen: true, raw: value}
		}
	}
	ok := jsonscan.Walk(b, func(key, value []byte) {
		bit, exact := matchMember(key, topKeyNames)
		switch {
		case bit < 0:
			return
		case !exact || seen&topKeys[bit].bit != 0:
			bad = true
			return
		}
		seen |= topKeys[bit].bit
		switch topKeys[bit].bit {
		case fJSONRPC:
			version = value
		case fID:
			m.id = value
		case fMethod:
			method = value
		case fParams:
			params = value
		}
	}, func(key []byte) bool {
		i, _ := matchMember(key, topKeyNames)
		return i >= 0 && topKeys[i].bit == fParams // params is read in the same pass
	}, paramsMember)
	if !ok {
		return m, errParse
	}
	if bad {
		return m, &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "duplicate or case-variant member"}
	}
	if m.id != nil && !jsonscan.ValidID(m.id) {
		return m, &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "invalid id"}
	}
	if !stringIs(version, "2.0") {
		return m, &rpcError{code: errVersion.code, msg: errVersion.msg, id: m.id}
	}
	if method == nil {
		// A response answers a request of the server, so its id is never
		// null; mcp-go would read null as the id 0.
		if seen&(fResult|fError) == 0 || m.id == nil || string(m.id) == "null" {
			return m, &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "neither a request nor a response", id: m.id}
		}
		return m, nil // a response to a server request
	}
	name, ok := methodName(method)
	if !ok || name == "" {
		return m, &rpcError{code: jsonrpcerr.CodeInvalidRequest, msg: "method must be a string", id: m.id}
	}
	m.method = name
	switch nameParam(name) {
	case "name":
		m.name, ok = target[0].value(params, names)
	case "uri":
		m.name, ok = target[1].value(params, names)
	}
	if !ok {
		return m, &rpcError{code: jsonrpcerr.CodeInvalidParams, msg: "params." + nameParam(name) + " must be a non-empty string", id: m.id}
	}
	return m, nil
}

// param is a member of params that names a target.
type param struct {
	seen bool
	raw  []byte
}

// value returns the member as a non-empty string, from names when it is
// one of them; params must have been an object.
func (p param) value(params []byte, names map[string]string) (string, bool) {
	if jsonscan.First(params) != '{' {
		return "", false
	}
	s, ok := intern(p.raw, names)
	return s, ok && s != ""
}

// intern decodes a raw JSON string, returning the copy in names when
// there is one (no allocation), else a new string.
// Only a string without escapes is looked up, as only then are its raw
// bytes its value (a name in names may itself contain a backslash).
func intern(raw []byte, names map[string]string) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' {
		inner := raw[1 : len(raw)-1]
		if s, ok := names[string(inner)]; ok && bytes.IndexByte(inner, '\\') < 0 {
			return s, true
		}
	}
	return jsonscan.Unquote(raw)
}

var paramKeyNames = [2]string{"name", "uri"}

var topKeyNames = func() []string {
	n := make([]string, len(topKeys))
	for i, k := range topKeys {
		n[i] = k.name
	}
	return n
}()

// stringIs reports whether raw is the JSON string s, escapes decoded.
func stringIs(raw []byte, s string) bool {
	if len(raw) == len(s)+2 && raw[0] == '"' && string(raw[1:len(raw)-1]) == s {
		return true
	}
	v, ok := jsonscan.Unquote(raw)
	return ok && v == s
}

// knownMethods are the MCP methods, returned without allocating.
var knownMethods = internTable(
	"initialize", "ping", "tools/list", "tools/call", "prompts/list", "prompts/get",
	"resources/list", "resources/read", "resources/templates/list", "resources/subscribe",
	"resources/unsubscribe", "completion/complete", "logging/setLevel", "server/discover",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed",
)

// internTable maps each of names to itself.
func internTable(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n
	}
	return m
}

// methodName decodes a raw JSON string method name.
func methodName(raw []byte) (string, bool) { return intern(raw, knownMethods) }

// matchMember returns the index of the name in names that key matches
// under Unicode case folding, and whether it matches exactly; -1 if none.
func matchMember(rawKey []byte, names []string) (int, bool) {
	key := rawKey
	if len(key) >= 2 {
		key = key[1 : len(key)-1]
	}
	for i, n := range names {
		if string(key) == n {
			return i, true
		}
	}
	if len(key) > 64 {
		return -1, false // longer than any fold of our short names
	}
	k := string(key)
	if strings.IndexByte(k, '\\') >= 0 {
		var s string
		if json.Unmarshal(rawKey, &s) != nil {
			return -1, false
		}
		k = s
	}
	for i, n := range names {
		if strings.EqualFold(k, n) {
			return i, k == n
		}
	}
	return -1, false
}
