package jsonrpcerr

import (
	"strconv"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// appendResponse appends the JSON encoding of r and a newline to b. It
// produces exactly what encoding/json would for r (checked by the tests),
// without reflection: error responses are what attack traffic gets, and
// they should cost little. An id that is not a valid JSON scalar is
// written as null.
func appendResponse(b []byte, r *Response) []byte {
	b = append(b, `{"jsonrpc":`...)
	b = appendString(b, r.JSONRPC)
	b = append(b, `,"id":`...)
	if id := trimSpace(r.ID); jsonscan.ValidID(id) {
		b = append(b, id...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"error":{"code":`...)
	b = strconv.AppendInt(b, int64(r.Error.Code), 10)
	b = append(b, `,"message":`...)
	b = appendString(b, r.Error.Message)
	if d := r.Error.Data; d != nil {
		b = append(b, `,"data":{`...)
		n := len(b)
		for _, f := range [...]struct{ name, value string }{
			{"error", d.Error}, {"error_description", d.ErrorDescription},
			{"scope", d.Scope}, {"resource_metadata", d.ResourceMetadata},
		} {
			if f.value == "" {
				continue
			}
			if len(b) > n {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, f.value)
		}
		b = append(b, '}')
	}
	return append(b, "}}\n"...)
}

// trimSpace drops the JSON whitespace around a raw value.
func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does:
// HTML-safe (<, >, & escaped), U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
