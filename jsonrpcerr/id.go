package jsonrpcerr

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
	"github.com/mcpauth/mcpauth/internal/reqbody"
)

// DefaultMaxPeekBytes caps how much of a body [RequestID] reads when given a
// limit of zero or less.
const DefaultMaxPeekBytes = 64 << 10

// RequestID returns the id to echo in an error response to r: the "id"
// member of a single JSON-RPC request in a POST body, exactly as sent
// (strings with their escapes). It returns nil, meaning null, for
// notifications, "id": null, ids that are not ids by the guard's one rule
// (a string, or an integer within ±(2^53−1)), duplicate ids, batches, invalid JSON, bodies over max
// bytes, and any method but POST, whose body it never reads.
//
// The body is read at most once and restored, so the next handler reads
// the identical bytes, including any part beyond max. Reading stops at max+1
// bytes; max <= 0 means [DefaultMaxPeekBytes].
func RequestID(r *http.Request, max int64) json.RawMessage {
	return RequestIDWithin(nil, r, max, 0)
}

// RequestIDWithin is [RequestID] with the read bounded by time as well as
// size, so that a client sending its body slowly cannot hold a refusal:
// when timeout is positive and w supports read deadlines (through
// [http.ResponseController]; net/http's writers do), reading stops timeout
// from now and the id is null. The deadline is lifted before it returns.
func RequestIDWithin(w http.ResponseWriter, r *http.Request, max int64, timeout time.Duration) json.RawMessage {
	if r.Method != http.MethodPost {
		return nil
	}
	if max <= 0 {
		max = DefaultMaxPeekBytes
	}
	body, complete, err := reqbody.PeekWithin(w, r, max, timeout)
	if !complete || err != nil {
		return nil
	}
	return ExtractID(body)
}

// ExtractID returns the "id" member of the JSON-RPC request object in body
// with the rules of [RequestID], or nil. The result aliases body. It never
// panics on any input.
func ExtractID(body []byte) json.RawMessage {
	var id []byte
	dup := false
	ok := jsonscan.Object(body, func(key, value []byte) {
		if jsonscan.KeyIs(key, "id") {
			dup = dup || id != nil
			id = value
		}
	})
	if !ok || dup || id == nil {
		return nil // dup: which id would the server use? Echo none.
	}
	if string(id) == "null" || !jsonscan.ValidID(id) {
		return nil
	}
	return id
}
