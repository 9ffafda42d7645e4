package stdio

import (
	"bytes"
	"encoding/json"
	"errors"
)

// envelope is what the bridge reads of a JSON-RPC message to route it.
type envelope struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// progress returns the progress token of a notifications/progress, or of
// a request's _meta, as raw JSON; nil when it has none (params of any
// other shape included: they are the server's to refuse).
func (e *envelope) progress(inMeta bool) json.RawMessage {
	var p struct {
		ProgressToken json.RawMessage `json:"progressToken"`
		Meta          json.RawMessage `json:"_meta"`
	}
	if json.Unmarshal(e.Params, &p) != nil {
		return nil
	}
	if !inMeta {
		return p.ProgressToken
	}
	var m struct {
		ProgressToken json.RawMessage `json:"progressToken"`
	}
	if json.Unmarshal(p.Meta, &m) != nil {
		return nil
	}
	return m.ProgressToken
}

var errNotObject = errors.New("stdio: message is not a JSON object")

// parse reads the routing fields of one message.
func parse(b []byte) (*envelope, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		if len(b) > 0 && b[0] == '[' {
			return nil, ErrBatch
		}
		return nil, errNotObject
	}
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	if string(e.ID) == "null" {
		e.ID = nil
	}
	return &e, nil
}

// isRequest reports whether e expects an answer.
func (e *envelope) isRequest() bool { return e.Method != "" && e.ID != nil }

// isResponse reports whether e answers a request.
func (e *envelope) isResponse() bool { return e.Method == "" && e.ID != nil }

// withID returns the message b with its top-level id replaced by id and
// every other member kept byte for byte, as one line.
func withID(b []byte, id json.RawMessage) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["id"] = id
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the members' bytes as they came
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// compact returns b on one line, as stdio framing requires.
func compact(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
