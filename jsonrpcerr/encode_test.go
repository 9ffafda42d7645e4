package jsonrpcerr

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// FuzzAppendResponse checks the hand-written encoder against
// encoding/json: the same document, and the id echoed byte for byte.
func FuzzAppendResponse(f *testing.F) {
	f.Add([]byte(`"req-1"`), "token expired", "invalid_token", "a b", "https://m/x", -32000)
	f.Add([]byte(`12345678901234567890`), "<script>&\u2028\x00\xff", "", "", "", 0)
	f.Add([]byte(` 7 `), "\"quoted\"\\\n\t\r\b\f", "e", "", "", -1)
	f.Add([]byte(`{"not":"scalar"}`), "", "", "", "", 1)
	f.Fuzz(func(t *testing.T, id []byte, msg, code, scope, rm string, n int) {
		resp := NewResponse(json.RawMessage(id), n, msg)
		if code != "" || scope != "" || rm != "" {
			resp.Error.Data = &Data{Error: code, ErrorDescription: msg, Scope: scope, ResourceMetadata: rm}
		}
		got := appendResponse(nil, resp)
		if !bytes.HasSuffix(got, []byte("\n")) || !json.Valid(got) {
			t.Fatalf("invalid JSON %q", got)
		}
		// encoding/json, with the id it would accept.
		want := *resp
		if !jsonscan.ValidID(trimSpace(id)) {
			want.ID = null
		}
		wantJSON, err := json.Marshal(&want)
		if err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(wantJSON, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("got %s, encoding/json %s", got, wantJSON)
		}
		if jsonscan.ValidID(trimSpace(id)) && !bytes.Contains(got, append([]byte(`"id":`), trimSpace(id)...)) {
			t.Fatalf("id %q not echoed as sent in %s", id, got)
		}
		if !bytes.ContainsAny(id, "<>&") && jsonscan.ValidID(trimSpace(id)) || !jsonscan.ValidID(trimSpace(id)) {
			// Without HTML characters in the id, the bytes are identical.
			if !bytes.Equal(bytes.TrimSuffix(got, []byte("\n")), wantJSON) && !bytes.ContainsAny(id, "\u2028\u2029") {
				t.Fatalf("bytes differ:\n got %s\nwant %s", got, wantJSON)
			}
		}
	})
}
