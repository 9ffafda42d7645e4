package jwtverify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

// maxHeaderSize caps the decoded protected header. Real headers are well
// under 1 KiB; a larger one is refused before JSON decoding.
const maxHeaderSize = 2 << 10

// maxKIDLength caps the "kid" header.
const maxKIDLength = 256

// b64 decodes JWS segments: base64url without padding, with unused bits
// required to be zero, so each token has exactly one encoding.
var b64 = base64.RawURLEncoding.Strict()

// Causes of malformed-token and refused-header failures. They wrap
// ErrMalformed or ErrHeader, so that no error is built per request for
// them.
var (
	errEmpty            = fmt.Errorf("%w: empty token", ErrMalformed)
	errSegments         = fmt.Errorf("%w: token does not have three segments", ErrMalformed)
	errAlphabet         = fmt.Errorf("%w: token has a byte outside the base64url alphabet", ErrMalformed)
	errSegmentLen       = fmt.Errorf("%w: segment length is not valid base64url", ErrMalformed)
	errSigSize          = fmt.Errorf("%w: signature too large", ErrMalformed)
	errHeaderSize       = fmt.Errorf("%w: header too large", ErrMalformed)
	errHeaderJSON       = fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	errHeaderUTF8       = fmt.Errorf("%w: header is not valid UTF-8", ErrMalformed)
	errNoAlg            = fmt.Errorf(`%w: header has no "alg"`, ErrMalformed)
	errPayloadUTF8      = fmt.Errorf("%w: payload is not valid UTF-8", ErrMalformed)
	errPayloadJSON      = fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	errPayloadDuplicate = fmt.Errorf("%w: payload names a claim twice", ErrMalformed)
	errHeaderDuplicate  = fmt.Errorf("%w: header names a parameter twice or in two letter cases", ErrMalformed)
	errCrit             = fmt.Errorf(`%w: "crit" present; no extension is understood`, ErrHeader)
	errKeyURL           = fmt.Errorf(`%w: the token names its own key ("jku", "x5u" or "jwk")`, ErrHeader)
	errKIDInvalid       = fmt.Errorf(`%w: "kid" too long or has control characters`, ErrHeader)
	errTyp              = fmt.Errorf(`%w: "typ" is not "at+jwt"`, ErrHeader)
)

// b64alphabet marks the bytes of the base64url alphabet.
var b64alphabet = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// segments is a token split into its three parts.
type segments struct {
	header, payload, signature string
	signingInput               string // header "." payload
}

// split checks the compact JWS shape cheaply, before anything is decoded:
// three non-empty segments of base64url bytes whose lengths can be
// unpadded base64. Whitespace, padding, standard-base64 bytes and extra
// dots are refused here.
func split(token string) (segments, error) {
	if token == "" {
		return segments{}, errEmpty
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return segments{}, errSegments
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 < 0 {
		return segments{}, errSegments
	}
	d2 += d1 + 1
	s := segments{
		header:       token[:d1],
		payload:      token[d1+1 : d2],
		signature:    token[d2+1:],
		signingInput: token[:d2],
	}
	if s.header == "" || s.payload == "" || s.signature == "" {
		return segments{}, errSegments
	}
	for i := 0; i < len(token); i++ {
		if !b64alphabet[token[i]] && i != d1 && i != d2 {
			if token[i] == '.' {
				return segments{}, errSegments
			}
			return segments{}, errAlphabet
		}
	}
	for _, seg := range [...]string{s.header, s.payload, s.signature} {
		if len(seg)%4 == 1 {
			return segments{}, errSegmentLen
		}
	}
	return s, nil
}

// header holds the protected header parameters the verifier reads.
//
// encoding/json matches field names case-insensitively, so {"ALG":...}
// fills Alg; a header that names a parameter twice, in any letter case, is
// refused before decoding, so what is read is never ambiguous.
type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
	Jku  json.RawMessage `json:"jku"`
	X5u  json.RawMessage `json:"x5u"`
	Jwk  json.RawMessage `json:"jwk"`
}

// decodeHeader decodes and checks the protected header. It refuses crit
// (no extension is implemented, RFC 7515 §4.1.11), jku/x5u/jwk (keys are
// never taken from the token), over-long or control-character kids, and a
// missing alg. buf is scratch space of at least maxHeaderSize bytes.
func decodeHeader(seg string, buf []byte) (*header, error) {
	if b64.DecodedLen(len(seg)) > maxHeaderSize {
		return nil, errHeaderSize
	}
	n, err := b64.Decode(buf, bytesOf(seg))
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	raw := buf[:n]
	if n < 2 || raw[0] != '{' || raw[n-1] != '}' {
		return nil, errHeaderJSON
	}
	if !utf8.Valid(raw) {
		return nil, errHeaderUTF8
	}
	if duplicateKeys(raw, true) {
		return nil, errHeaderDuplicate
	}
	h := new(header)
	if err := json.Unmarshal(raw, h); err != nil {
		return nil, errHeaderJSON
	}
	switch {
	case h.Alg == "":
		return h, errNoAlg
	case h.Crit != nil:
		return h, errCrit
	case h.Jku != nil || h.X5u != nil || h.Jwk != nil:
		return h, errKeyURL
	case !validKID(h.Kid):
		return h, errKIDInvalid
	}
	return h, nil
}

func validKID(kid string) bool {
	if len(kid) > maxKIDLength {
		return false
	}
	for i := 0; i < len(kid); i++ {
		if kid[i] < 0x20 || kid[i] == 0x7f {
			return false
		}
	}
	return true
}

// accessTokenType reports whether typ is the RFC 9068 media type, which
// may be written with or without "application/", in any case.
func accessTokenType(typ string) bool {
	typ = strings.TrimPrefix(strings.ToLower(typ), "application/")
	return typ == "at+jwt"
}

// decodePayload decodes the claims set, which must be a JSON object of
// valid UTF-8 (encoding/json would silently replace invalid bytes).
func decodePayload(seg string, buf []byte) (map[string]any, error) {
	n, err := b64.Decode(buf, bytesOf(seg))
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrMalformed, err)
	}
	raw := buf[:n]
	if n < 2 || raw[0] != '{' {
		return nil, errPayloadJSON
	}
	if !utf8.Valid(raw) {
		return nil, errPayloadUTF8
	}
	return decodeClaims(raw)
}

// decodeClaims reads a claims object into the map encoding/json would
// make of it (FuzzDecodeClaims holds the two equal), in one scan that
// also refuses a member named twice. Only nested objects and arrays go
// through encoding/json; strings, numbers and literals, which most claims
// are, are read in place, and names and strings without escapes share
// one copy of the payload, so large claim sets cost little more than the
// scan. A payload nested deeper than jsonscan.MaxDepth is refused, which
// encoding/json would read.
func decodeClaims(raw []byte) (map[string]any, error) {
	m := make(map[string]any, 16)
	all := string(raw) // the one copy the strings share
	str := func(b []byte) (string, bool) {
		if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 {
			i := cap(raw) - cap(b) // b is raw[i : i+len(b)]
			return all[i+1 : i+len(b)-1], true
		}
		return jsonscan.Unquote(b)
	}
	var err error
	ok := jsonscan.Object(raw, func(key, value []byte) {
		if err != nil {
			return
		}
		k, kok := str(key)
		if !kok {
			err = errPayloadJSON
			return
		}
		if _, dup := m[k]; dup {
			err = errPayloadDuplicate
			return
		}
		var v any
		var verr error
		if value[0] == '"' {
			var sok bool
			if v, sok = str(value); !sok {
				verr = errPayloadJSON
			}
		} else {
			v, verr = claimValue(value)
		}
		if verr != nil {
			err = errPayloadJSON
			return
		}
		m[k] = v
	})
	switch {
	case !ok:
		return nil, errPayloadJSON
	case err != nil:
		return nil, err
	}
	return m, nil
}

// claimValue decodes one valid JSON value as encoding/json does into an
// interface value.
func claimValue(v []byte) (any, error) {
	switch v[0] {
	case '"':
		s, ok := jsonscan.Unquote(v)
		if !ok {
			return nil, errPayloadJSON
		}
		return s, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	case '{', '[':
		var x any
		err := json.Unmarshal(v, &x)
		return x, err
	}
	return strconv.ParseFloat(string(v), 64)
}

// unverifiedClaims reads a payload whose signature has not been checked,
// only to choose between 401 and 503 for an unknown key (see
// Verifier.keysFor); nil when it cannot be read.
func unverifiedClaims(seg string) map[string]any {
	buf := make([]byte, b64.DecodedLen(len(seg)))
	m, err := decodePayload(seg, buf)
	if err != nil {
		return nil
	}
	return m
}

// duplicateKeys reports whether the JSON object raw names a member twice
// (after unescaping; with fold, also in another letter case, as
// encoding/json's struct decoding would match). Such documents mean
// different things to different parsers, so they are refused. An invalid
// document reports false and is left to the decoder.
func duplicateKeys(raw []byte, fold bool) bool {
	var small [16][]byte
	keys := small[:0]
	dup := false
	jsonscan.Object(raw, func(key, _ []byte) {
		if dup {
			return
		}
		k := key[1 : len(key)-1] // raw, quotes stripped
		if bytes.IndexByte(k, '\\') >= 0 {
			s, ok := jsonscan.Unquote(key) // rare: allocate only for escaped keys
			if !ok {
				return
			}
			k = []byte(s)
		}
		for _, seen := range keys {
			if bytes.Equal(seen, k) || fold && bytes.EqualFold(seen, k) {
				dup = true
				return
			}
		}
		keys = append(keys, k)
	})
	return dup
}

// bytesOf returns the bytes of s without copying. The result must only be
// read; it is passed to base64 decoding, which does not keep or write it.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
