// Package jsonscan validates JSON (RFC 8259) and walks the members of a
// top-level object or array without building values or allocating. It is
// the parser of untrusted request bodies for jsonrpcerr and mcphandler.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// Object reports whether b, ignoring surrounding whitespace, is exactly one
// valid JSON object, calling member with the raw key (quotes included) and
// raw value of each of its members, in order. member is called only while
// the document is valid so far; a false result means earlier calls must be
// disregarded.
func Object(b []byte, member func(key, value []byte)) bool {
	s := scanner{b: b}
	s.space()
	if s.peek() != '{' || !s.object(0, member, nil, nil) {
		return false
	}
	s.space()
	return s.i == len(s.b)
}

// Walk is Object that also reports the members of chosen nested objects:
// for each top-level member whose value is an object and for whose key
// descend returns true, inner gets that object's own members as they are
// scanned. The document is scanned once.
func Walk(b []byte, member func(key, value []byte), descend func(key []byte) bool, inner func(key, value []byte)) bool {
	s := scanner{b: b}
	s.space()
	if s.peek() != '{' || !s.object(0, member, descend, inner) {
		return false
	}
	s.space()
	return s.i == len(s.b)
}

// Array is Object for a top-level array, calling elem with each raw
// element.
func Array(b []byte, elem func(value []byte)) bool {
	s := scanner{b: b}
	s.space()
	if s.peek() != '[' || !s.array(0, elem) {
		return false
	}
	s.space()
	return s.i == len(s.b)
}

// Valid reports whether b is one valid JSON value within MaxDepth.
func Valid(b []byte) bool {
	s := scanner{b: b}
	s.space()
	if !s.value(0) {
		return false
	}
	s.space()
	return s.i == len(s.b)
}

// First returns the first non-whitespace byte of b, or 0.
func First(b []byte) byte {
	s := scanner{b: b}
	s.space()
	return s.peek()
}

// Unquote decodes a raw JSON string (quotes included) as encoding/json
// would. ok is false if raw is not a string.
func Unquote(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	return s, json.Unmarshal(raw, &s) == nil
}

// KeyIs reports whether the raw key decodes to exactly name.
func KeyIs(raw []byte, name string) bool {
	if len(raw) < 2 {
		return false
	}
	inner := raw[1 : len(raw)-1]
	if string(inner) == name {
		return true
	}
	if bytes.IndexByte(inner, '\\') < 0 || len(raw) > 6*len(name)+2 {
		return false // no escapes, or longer than name fully \u-escaped
	}
	k, ok := Unquote(raw)
	return ok && k == name
}

// MaxDepth bounds nesting; deeper documents are treated as invalid.
const MaxDepth = 512

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
	if depth > MaxDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		return s.string()
	case c == '{':
		return s.object(depth, nil, nil, nil)
	case c == '[':
		return s.array(depth, nil)
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
// key and value of each member. When descend is not nil and reports true
// for a member whose value is an object, that object's own members go to
// inner as they are scanned (Walk); nested objects are not descended.
func (s *scanner) object(depth int, member func(key, value []byte), descend func(key []byte) bool, inner func(key, value []byte)) bool {
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
		var ok bool
		if descend != nil && s.peek() == '{' && descend(key) {
			ok = s.object(depth+1, inner, nil, nil)
		} else {
			ok = s.value(depth + 1)
		}
		if !ok {
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

// array scans an array at s.i, calling elem, if not nil, with each raw
// element.
func (s *scanner) array(depth int, elem func(value []byte)) bool {
	s.i++ // '['
	s.space()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		s.space()
		v := s.i
		if !s.value(depth + 1) {
			return false
		}
		if elem != nil {
			elem(s.b[v:s.i])
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

// skipPlain returns the index of the first byte at or after i that is not
// plain: a quote or backslash (found with the assembly of bytes.IndexByte)
// or a control character (found eight bytes at a time).
func skipPlain(b []byte, i int) int {
	rest := b[i:]
	n := bytes.IndexByte(rest, '"')
	if n < 0 {
		n = len(rest)
	}
	if bs := bytes.IndexByte(rest[:n], '\\'); bs >= 0 {
		n = bs
	}
	j := 0
	for ; j+32 <= n; j += 32 {
		w := rest[j : j+32]
		if control(binary.LittleEndian.Uint64(w))|control(binary.LittleEndian.Uint64(w[8:]))|
			control(binary.LittleEndian.Uint64(w[16:]))|control(binary.LittleEndian.Uint64(w[24:])) != 0 {
			break
		}
	}
	for j < n && rest[j] >= 0x20 {
		j++
	}
	return i + j
}

// control is non-zero if some byte of x is below 0x20 (and may be for the
// bytes after one); callers then look byte by byte.
func control(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	return (x - lo*0x20) & ^x & hi
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

// MaxID bounds numeric JSON-RPC ids: the MCP SDKs decode them as float64
// (the go-sdk then converts to int64), exact only up to 2^53.
const MaxID = 1<<53 - 1

// ValidID reports whether raw is a JSON-RPC id as MCP has it: a string of
// valid UTF-8, an integer within ±MaxID without fraction or exponent, or
// null; raw must be one JSON value without surrounding space. The go-sdk
// would read 1.5 as 1, and both SDKs 9007199254740993 as
// 9007199254740992, so neither is an id. This is the one rule for ids:
// the guard admits requests by it and error responses echo by it.
func ValidID(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	switch c := raw[0]; {
	case c == '"':
		return Valid(raw) && utf8.Valid(raw)
	case c == '-', c >= '0' && c <= '9':
		digits := raw
		if c == '-' {
			digits = raw[1:]
		}
		if len(digits) == 0 || len(digits) > 16 || (digits[0] == '0' && len(digits) > 1) {
			return false
		}
		var n int64
		for _, d := range digits {
			if d < '0' || d > '9' {
				return false
			}
			n = n*10 + int64(d-'0')
		}
		return n <= MaxID
	}
	return string(raw) == "null"
}
