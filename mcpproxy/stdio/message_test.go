package stdio

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzRewriteID holds parse and withID to their contract on any input:
// no panic, and a rewritten message differs from the original in its id
// only.
func FuzzRewriteID(f *testing.F) {
	for _, s := range []string{
		initMsg,
		`{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","arguments":{"html":"<&>"},"_meta":{"progressToken":7}}}`,
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":1}}`,
		`{"jsonrpc":"2.0","id":null,"result":{}}`,
		`{"id":1,"id":2}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","params":[]}`,
		`{"a":"\u2028\ud800"}`,
		``, `null`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parse(b)
		if err != nil {
			return
		}
		_ = e.progress(true)
		_ = e.progress(false)
		out, err := withID(b, json.RawMessage(`42`))
		if err != nil {
			return
		}
		var before, after map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &before))
		require.NoError(t, json.Unmarshal(out, &after), "withID wrote invalid JSON")
		assert.JSONEq(t, `42`, string(after["id"]))
		assert.NotContains(t, string(out), "\n", "a message on two lines breaks stdio framing")
		delete(before, "id")
		delete(after, "id")
		require.Len(t, after, len(before))
		for k, v := range before {
			assert.JSONEq(t, string(v), string(after[k]), "member %q changed", k)
		}
	})
}

func TestWithIDKeepsMembers(t *testing.T) {
	out, err := withID([]byte(`{"jsonrpc":"2.0","id":"client","method":"tools/call","params":{"a":"<&>"}}`), json.RawMessage(`7`))
	require.NoError(t, err)
	assert.Equal(t, `{"id":7,"jsonrpc":"2.0","method":"tools/call","params":{"a":"<&>"}}`, string(out), "HTML escaping or reformatting changed the bytes")
}
