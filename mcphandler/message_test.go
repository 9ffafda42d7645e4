package mcphandler

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBody(t *testing.T) {
	msgs, batch, perr := parseBody([]byte(` {"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"echo","arguments":{"name":"x"}}} `), nil, nil)
	require.Nil(t, perr)
	assert.False(t, batch)
	assert.Equal(t, []message{{method: "tools/call", id: []byte(`"a"`), name: "echo"}}, msgs)

	msgs, batch, perr = parseBody([]byte(`[{"jsonrpc":"2.0","method":"resources/read","id":1,"params":{"uri":"file:///a"}},{"jsonrpc":"2.0","id":9,"result":{}}]`), nil, nil)
	require.Nil(t, perr)
	assert.True(t, batch)
	require.Len(t, msgs, 2)
	assert.Equal(t, "file:///a", msgs[0].name)
	assert.Equal(t, "", msgs[1].method, "a response has no method")

	// A known name is returned without a copy, but only where the raw
	// bytes are the value: a policy may list a name with a backslash in
	// it, which an escaped body must not match.
	names := map[string]string{`a\u0062`: `a\u0062`, "echo": "echo"}
	msgs, _, perr = parseBody([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\u0062"}}`), nil, names)
	require.Nil(t, perr)
	assert.Equal(t, "ab", msgs[0].name)
	msgs, _, perr = parseBody([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a\\u0062"}}`), nil, names)
	require.Nil(t, perr)
	assert.Equal(t, `a\u0062`, msgs[0].name)
}

// FuzzParseBody checks the JSON-RPC inspection on arbitrary bodies. It must
// never panic, and whenever it accepts a body encoding/json must read the
// same method, tool and id from it, including with case-insensitive struct
// decoding as the Go SDKs do.
func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		callEcho, listBody, initBody,
		`[` + callEcho + `,` + listBody + `]`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"a\u0062"}}`,
		`{"jsonrpc":"2.0","id":1,"result":{}}`,
		`{"jsonrpc":"2.0","method":"resources/read","params":{"uri":"x","URI":"y"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, batch, perr := parseBody(body, nil, nil)
		if perr != nil {
			if msgs != nil {
				t.Fatalf("messages with an error")
			}
			return
		}
		var raws []json.RawMessage
		if batch {
			if err := json.Unmarshal(body, &raws); err != nil {
				t.Fatalf("accepted batch encoding/json refuses: %v", err)
			}
		} else {
			raws = []json.RawMessage{body}
		}
		if len(raws) != len(msgs) {
			t.Fatalf("%d messages, encoding/json sees %d", len(msgs), len(raws))
		}
		for i, raw := range raws {
			// Struct decoding folds case, like the servers behind the guard.
			var sdk struct {
				Method string          `json:"method"`
				ID     json.RawMessage `json:"id"`
				Params struct {
					Name string `json:"name"`
					URI  string `json:"uri"`
				} `json:"params"`
			}
			if err := json.Unmarshal(raw, &sdk); err != nil {
				if msgs[i].method == "" || nameParam(msgs[i].method) == "" {
					continue // a params value the guard does not need to read
				}
				t.Fatalf("accepted %q, encoding/json: %v", raw, err)
			}
			m := msgs[i]
			if sdk.Method != m.method {
				t.Fatalf("method %q, encoding/json reads %q in %s", m.method, sdk.Method, raw)
			}
			switch nameParam(m.method) {
			case "name":
				if sdk.Params.Name != m.name {
					t.Fatalf("name %q, encoding/json reads %q in %s", m.name, sdk.Params.Name, raw)
				}
			case "uri":
				if sdk.Params.URI != m.name {
					t.Fatalf("uri %q, encoding/json reads %q in %s", m.name, sdk.Params.URI, raw)
				}
			}
			if m.id != nil && strings.TrimSpace(string(sdk.ID)) != string(m.id) {
				t.Fatalf("id %s, encoding/json reads %s", m.id, sdk.ID)
			}
		}
	})
}

// TestParseBodyIDs: numeric ids are integers that the SDKs read exactly;
// go-sdk reads 1.5 as 1 and 2^53+1 as 2^53.
func TestParseBodyIDs(t *testing.T) {
	for id, ok := range map[string]bool{
		`1`: true, `0`: true, `-0`: true, `-7`: true, `"x"`: true, `null`: true,
		`9007199254740991`: true, `-9007199254740991`: true,
		`9007199254740992`: false, `9007199254740993`: false, `-9007199254740993`: false,
		`9223372036854775807`: false, `123456789012345678901234567890`: false,
		`1.5`: false, `1.0`: false, `1e2`: false, `1E+2`: false, `1e-2`: false, `-1e400`: false,
		`true`: false, `{}`: false, `[]`: false,
	} {
		_, _, perr := parseBody([]byte(`{"jsonrpc":"2.0","id":`+id+`,"method":"tools/list"}`), nil, nil)
		assert.Equal(t, ok, perr == nil, id)
	}
}

// TestParseBodyResponseNullID: a response needs the id of the server's
// request; mcp-go would route an id of null to request 0.
func TestParseBodyResponseNullID(t *testing.T) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":null,"result":{"content":[]}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}}`,
	} {
		_, _, perr := parseBody([]byte(body), nil, nil)
		assert.NotNil(t, perr, body)
	}
	_, _, perr := parseBody([]byte(`{"jsonrpc":"2.0","id":0,"result":{}}`), nil, nil)
	assert.Nil(t, perr)
}
