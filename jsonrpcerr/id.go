package jsonrpcerr

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/reqbody"
)

// DefaultMaxBodyBytes caps how much of a body [RequestID] reads when given a
// limit of zero or less.
const DefaultMaxBodyBytes = 64 << 10

// RequestID returns the id to echo in an error response to r: the "id"
// member of a single JSON-RPC request in a POST body, exactly as sent
// (strings with their escapes, numbers of any size as written). It returns
// nil, meaning null, for notifications, "id": null, ids that are not a
// string or number, duplicate ids, batches, invalid JSON, bodies over max
// bytes, and any method but POST, whose body it never reads.
//
// The body is read at most once and restored, so the next handler reads
// the identical bytes, including any part beyond max. Reading stops at max+1
// bytes; max <= 0 means [DefaultMaxBodyBytes].
func RequestID(r *http.Request, max int64) json.RawMessage {
	if r.Method != http.MethodPost {
		return nil
	}
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	body, complete, err := reqbody.Peek(r, max)
	if !complete || err != nil {
		return nil
	}
	return ExtractID(body)
}

// ExtractID returns the "id" member of the JSON-RPC request object in body
// with the rules of [RequestID], or nil. The result aliases body. It never
// panics on any input.
func ExtractID(body []byte) json.RawMessage {
	s := scanner{b: body}
	s.space()
	if s.peek() != '{' {
		return nil
	}
	var id []byte
	dup := false
	ok := s.object(0, func(key, value []byte) {
		if isIDKey(key) {
			dup = dup || id != nil
			id = value
		}
	})
	s.space()
	if !ok || dup || s.i != len(s.b) || id == nil {
		return nil // dup: which id would the server use? Echo none.
	}
	switch c := id[0]; {
	case c == '"':
		if !utf8.Valid(id) {
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
	default:
		return nil
	}
	return id
}

func isIDKey(raw []byte) bool {
	if string(raw) == `"id"` {
		return true
	}
	if bytes.IndexByte(raw, '\\') < 0 || len(raw) > 32 {
		return false
	}
	var k string
	return json.Unmarshal(raw, &k) == nil && k == "id"
}

// maxDepth bounds nesting; deeper documents are treated as invalid.
const maxDepth = 512

// scanner validates JSON (RFC 8259) without building values.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		return s.string()
	case c == '{':
		return s.object(depth, nil)
	case c == '[':
		return s.array(depth)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return false
}

// object scans an object at s.i, calling member, if not nil, with the raw
// key and value of each member.
func (s *scanner) object(depth int, member func(key, value []byte)) bool {
	s.i++ // '{'
	s.space()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		s.space()
		k := s.i
		if !s.string() {
			return false
		}
		key := s.b[k:s.i]
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		v := s.i
		if !s.value(depth + 1) {
			return false
		}
		if member != nil {
			member(key, s.b[v:s.i])
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) array(depth int) bool {
	s.i++ // '['
	s.space()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		s.space()
		if !s.value(depth + 1) {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) string() bool {
	if s.peek() != '"' {
		return false
	}
	s.i++
	for s.i < len(s.b) {
		s.i = skipPlain(s.b, s.i)
		if s.i == len(s.b) {
			return false
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+5 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

// plain marks the bytes a string may hold without a closer look.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipPlain returns the index of the first byte at or after i that is not
// plain, eight bytes at a time where it can.
func skipPlain(b []byte, i int) int {
	for ; i+16 <= len(b); i += 16 {
		if special(binary.LittleEndian.Uint64(b[i:]))|special(binary.LittleEndian.Uint64(b[i+8:])) != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// special is non-zero if some byte of x is below 0x20, '"' or '\\'. It may
// also be non-zero for bytes just above such a byte; callers then look
// closer byte by byte.
func special(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, bs := x^(lo*'"'), x^(lo*'\\')
	return ((x - lo*0x20) | (q - lo) | (bs - lo)) & ^x & hi
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *scanner) number() bool {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}
