package mcphandler

import (
	"bytes"
	"encoding/json"
	"errors"
)

var errUnfilterable = errors.New("mcphandler: tools/list response could not be filtered")

// filterTools removes from every JSON-RPC response in msg (a message or a
// batch) the tools that allowed refuses, where the response's result has a
// "tools" array, so that tools/list shows only what tools/call would
// accept. Messages without result.tools are returned as they are. An error
// means msg could not be read; callers then drop it (fail closed).
func filterTools(msg []byte, allowed func(name string) bool) ([]byte, error) {
	trimmed := bytes.TrimSpace(msg)
	if len(trimmed) == 0 {
		return msg, nil
	}
	if trimmed[0] == '[' {
		var batch []json.RawMessage
		if err := json.Unmarshal(trimmed, &batch); err != nil {
			return nil, errors.Join(errUnfilterable, err)
		}
		changed := false
		for i, m := range batch {
			out, err := filterOne(m, allowed)
			if err != nil {
				return nil, err
			}
			if out != nil {
				batch[i], changed = out, true
			}
		}
		if !changed {
			return msg, nil
		}
		return json.Marshal(batch)
	}
	out, err := filterOne(trimmed, allowed)
	if err != nil || out == nil {
		return msg, err
	}
	return out, nil
}

// filterOne filters one message; nil means unchanged.
func filterOne(msg []byte, allowed func(string) bool) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, errors.Join(errUnfilterable, err)
	}
	res, ok := m["result"]
	if !ok || bytes.HasPrefix(res, []byte("null")) {
		return nil, nil
	}
	var r map[string]json.RawMessage
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, nil // a result that is not an object has no tools
	}
	toolsRaw, ok := r["tools"]
	if !ok {
		return nil, nil
	}
	var tools []json.RawMessage
	if err := json.Unmarshal(toolsRaw, &tools); err != nil {
		return nil, errors.Join(errUnfilterable, err)
	}
	kept := tools[:0]
	for _, t := range tools {
		var tool map[string]json.RawMessage
		if err := json.Unmarshal(t, &tool); err != nil {
			return nil, errors.Join(errUnfilterable, err)
		}
		var name string
		if err := json.Unmarshal(tool["name"], &name); err != nil {
			return nil, errors.Join(errUnfilterable, err)
		}
		if allowed(name) {
			kept = append(kept, t)
		}
	}
	if _, ok := r["cacheScope"]; ok {
		// The list is now this principal's: no one else may be served it.
		r["cacheScope"] = json.RawMessage(`"private"`)
	}
	var err error
	if r["tools"], err = json.Marshal(kept); err != nil {
		return nil, err
	}
	if m["result"], err = json.Marshal(r); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// sseFilter rewrites a text/event-stream body event by event, filtering the
// JSON-RPC messages in each event's data.
type sseFilter struct {
	buf     []byte
	scanned int // bytes of buf known to hold no event end
	allowed func(string) bool
	dropped int // events dropped because they could not be filtered
}

// write consumes p and returns the complete, rewritten events it finished.
func (f *sseFilter) write(p []byte) []byte {
	f.buf = append(f.buf, p...)
	var out []byte
	for {
		end, next := eventEnd(f.buf, f.scanned)
		if end < 0 {
			// Rescan only the last bytes, which may start a line ending.
			f.scanned = max(0, len(f.buf)-3)
			return out
		}
		out = append(out, f.event(f.buf[:end])...)
		out = append(out, f.buf[end:next]...)
		f.buf = f.buf[next:]
		f.scanned = 0
	}
}

// flush returns what is left as a final event, rewritten.
func (f *sseFilter) flush() []byte {
	if len(f.buf) == 0 {
		return nil
	}
	out := f.event(f.buf)
	f.buf = nil
	return out
}

// eventEnd finds the blank line ending the first event, looking from
// from: end is where the event's lines end, next where the following event
// starts; -1 if none.
func eventEnd(b []byte, from int) (end, next int) {
	for i := from; i < len(b); i++ {
		if b[i] != '\n' && b[i] != '\r' {
			continue
		}
		// b[i] ends a line; is the next line empty?
		j := i + 1
		if b[i] == '\r' && j < len(b) && b[j] == '\n' {
			j++
		}
		if j < len(b) && (b[j] == '\n' || b[j] == '\r') {
			k := j + 1
			if b[j] == '\r' && k < len(b) && b[k] == '\n' {
				k++
			} else if b[j] == '\r' && k == len(b) {
				return -1, -1 // a CR at the end may be half of CRLF
			}
			return i, k
		}
		if j >= len(b) {
			return -1, -1
		}
		i = j - 1
	}
	return -1, -1
}

// event rewrites one event (its lines, without the final blank line).
func (f *sseFilter) event(ev []byte) []byte {
	lines := splitLines(ev)
	var data [][]byte
	for _, l := range lines {
		if v, ok := field(l, "data"); ok {
			data = append(data, v)
		}
	}
	if data == nil {
		return ev
	}
	joined := bytes.Join(data, []byte("\n"))
	out, err := filterTools(joined, f.allowed)
	if err != nil {
		f.dropped++
		return nil // fail closed: an event we cannot read is not forwarded
	}
	if bytes.Equal(out, joined) {
		return ev
	}
	var b bytes.Buffer
	for _, l := range lines {
		if _, ok := field(l, "data"); !ok {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	for _, l := range bytes.Split(out, []byte("\n")) {
		b.WriteString("data: ")
		b.Write(l)
		b.WriteByte('\n')
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func splitLines(b []byte) [][]byte {
	var lines [][]byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			lines = append(lines, b)
			break
		}
		lines = append(lines, b[:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return lines
}

// field returns the value of an SSE line "name: value" or "name:value".
func field(line []byte, name string) ([]byte, bool) {
	if !bytes.HasPrefix(line, []byte(name)) {
		return nil, false
	}
	rest := line[len(name):]
	switch {
	case len(rest) == 0:
		return rest, true // "data" alone is an empty value
	case rest[0] != ':':
		return nil, false
	}
	rest = rest[1:]
	return bytes.TrimPrefix(rest, []byte(" ")), true
}
