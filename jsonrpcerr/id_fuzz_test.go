package jsonrpcerr

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// FuzzExtractID checks ExtractID against encoding/json and strconv: an id
// is returned only from a valid JSON object, equals the object's sole "id"
// member byte for byte, and is returned whenever such a string or exact
// integer member exists.
// RequestID must restore the body exactly.
func FuzzExtractID(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`,
		`{"id":"a\"b"}`, `{"id":1e400}`, `{"id":null}`, `[{"id":1}]`, `{"id":1,"id":2}`,
		`{"\u0069d":3}`, `{"id":-0.0E-0}`, `{"a":[{"b":"\ud800"}],"id":"x"}`, `{"id":1`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := ExtractID(body)
		want, ok := oracleID(body)
		if got != nil {
			if !json.Valid(body) {
				t.Fatalf("id %s from invalid JSON %q", got, body)
			}
			if !ok || !bytes.Equal(got, want) {
				t.Fatalf("ExtractID(%q) = %s, oracle %s (%v)", body, got, want, ok)
			}
		} else if ok && bytes.Count(body, []byte("["))+bytes.Count(body, []byte("{")) < jsonscan.MaxDepth {
			t.Fatalf("ExtractID(%q) = null, oracle %s", body, want)
		}

		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		_ = RequestID(r, 64)
		rest, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(rest, body) {
			t.Fatalf("body not restored: %q vs %q (%v)", rest, body, err)
		}
	})
}

// oracleID uses encoding/json to find the id ExtractID must return.
func oracleID(body []byte) (json.RawMessage, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return nil, false
	}
	id, ok := m["id"]
	if !ok || len(id) == 0 || countIDKeys(body) != 1 {
		return nil, false
	}
	switch c := id[0]; {
	case c == '"' && utf8.Valid(id):
	case c == '-' || (c >= '0' && c <= '9'):
		// An integer the SDKs read exactly: within ±(2^53−1).
		n, err := strconv.ParseInt(string(id), 10, 64)
		if err != nil || n > 1<<53-1 || n < -(1<<53-1) {
			return nil, false
		}
	default:
		return nil, false
	}
	return id, true
}

func countIDKeys(body []byte) int {
	d := json.NewDecoder(bytes.NewReader(body))
	if _, err := d.Token(); err != nil {
		return 0
	}
	n := 0
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return 0
		}
		if k == "id" {
			n++
		}
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return 0
		}
	}
	return n
}
