package mcphandler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
)

// Handles binds state handles to the principal they were issued to, for
// MCP revisions without protocol sessions (2026-07-28), where servers keep
// state behind ids that tools return and later receive as arguments.
// Holding a handle is not authentication: a handle sealed for one principal
// does not open for another.
//
// Seal and Open bind statelessly with an HMAC. Servers that keep handles in
// their own storage can instead key it with [StorageKey].
type Handles struct {
	secret []byte
}

// ErrUnknownHandle is the cause of every refusal by [Handles.Open]: a
// handle that is malformed, forged, or sealed for another principal looks
// the same, so a refusal reveals nothing about other users' handles.
var ErrUnknownHandle = errors.New("mcphandler: unknown state handle")

// macLen is the length of the truncated HMAC-SHA256 tag, in bytes.
const macLen = 16

var b64 = base64.RawURLEncoding

// NewHandles returns Handles keyed with secret, which must be at least 32
// random bytes and the same on every replica that opens the handles.
func NewHandles(secret []byte) (*Handles, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("%w: handle secret must be at least 32 bytes", errConfig)
	}
	return &Handles{secret: append([]byte(nil), secret...)}, nil
}

// Seal returns handle bound to p, to give to the client in its place. It
// returns an error if p is not valid.
func (h *Handles) Seal(p *authresult.Principal, handle string) (string, error) {
	if !p.Valid() {
		return "", authresult.NoCredentials()
	}
	return handle + "." + b64.EncodeToString(h.mac(p, handle)), nil
}

// Open returns the handle inside sealed if it was sealed for p. Otherwise
// it returns a forbidden [*authresult.Error] whose cause is
// [ErrUnknownHandle].
func (h *Handles) Open(p *authresult.Principal, sealed string) (string, error) {
	if !p.Valid() {
		return "", authresult.NoCredentials()
	}
	i := strings.LastIndexByte(sealed, '.')
	if i < 0 {
		return "", unknownHandle()
	}
	handle, tag := sealed[:i], sealed[i+1:]
	got, err := b64.DecodeString(tag)
	if err != nil || !hmac.Equal(got, h.mac(p, handle)) {
		return "", unknownHandle()
	}
	return handle, nil
}

func unknownHandle() error {
	return authresult.Forbidden("unknown state handle", ErrUnknownHandle)
}

func (h *Handles) mac(p *authresult.Principal, handle string) []byte {
	m := hmac.New(sha256.New, h.secret)
	k := p.BindingKey()
	m.Write(k[:])
	m.Write([]byte(handle))
	return m.Sum(nil)[:macLen]
}

// StorageKey returns "<user>:<handle>", the key under which a server
// should store state for handle so that only p can reach it, as the MCP
// security best practices recommend. <user> is p's binding key in hex.
func StorageKey(p *authresult.Principal, handle string) string {
	return p.BindingKey().String() + ":" + handle
}
