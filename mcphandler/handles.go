package mcphandler

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
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
// Seal and Open bind statelessly with an HMAC, so any replica configured
// with the same secrets opens the handles of the others. The secret can be
// rotated without refusing a handle in use; see [NewHandles]. Servers that
// keep handles in their own storage can instead key it with [StorageKey].
//
// Handles is safe for concurrent use.
type Handles struct {
	// keys[0] seals; every key opens.
	keys [][]byte
}

// ErrUnknownHandle is the cause of every refusal by [Handles.Open]: a
// handle that is malformed, forged, sealed for another principal, or
// sealed with a secret the Handles does not accept looks the same, so a
// refusal reveals nothing about other users' handles.
var ErrUnknownHandle = errors.New("mcphandler: unknown state handle")

const (
	// macLen is the length of the truncated HMAC-SHA256 tag, in bytes.
	macLen = 16
	// minSecret is the shortest secret NewHandles accepts, in bytes.
	minSecret = 32
	// maxAccepted is the most secrets NewHandles accepts besides the one
	// that seals, so that Open computes at most maxAccepted+1 HMACs.
	maxAccepted = 4
)

var b64 = base64.RawURLEncoding

// NewHandles returns Handles that seal with secret and open handles sealed
// with secret or with any of accepted, so that the secret, which comes from
// configuration and must be the same on every replica, can be rotated.
// Each secret must be at least 32 random bytes, no two may be the same
// HMAC key (equal, or equal once HMAC pads or hashes them), and at most 4
// may be accepted besides secret. The secrets are copied.
//
// A handle does not name the secret that sealed it, so handles keep the
// form they had before rotation and tell nothing about the configuration.
// Open computes one HMAC-SHA256 per configured secret instead, all of them
// whether or not one matches (at most 5, each over 32 bytes plus the
// handle, about a microsecond apiece), and compares each tag in constant
// time: its time depends on the configuration and the handle's length,
// never on which secret, if any, made the tag.
//
// To rotate from old to new without refusing a handle while replicas are
// restarted one by one:
//
//  1. configure NewHandles(old, new) everywhere: replicas still seal with
//     old and learn to open new;
//  2. then NewHandles(new, old) everywhere: replicas seal with new and
//     still open the handles sealed with old;
//  3. once handles sealed with old are no longer in use, NewHandles(new).
//
// Skipping step 1 leaves a window: while a replica still runs
// NewHandles(old), it refuses the handles that replicas already running
// NewHandles(new, old) seal.
func NewHandles(secret []byte, accepted ...[]byte) (*Handles, error) {
	if len(accepted) > maxAccepted {
		return nil, fmt.Errorf("%w: at most %d handle secrets may be accepted besides the one that seals, got %d",
			errConfig, maxAccepted, len(accepted))
	}
	all := append([][]byte{secret}, accepted...)
	keys := make([][]byte, len(all))
	for i, k := range all {
		if len(k) < minSecret {
			return nil, fmt.Errorf("%w: %s must be at least %d bytes", errConfig, secretName(i), minSecret)
		}
		for j := range i {
			if sameKey(k, all[j]) {
				return nil, fmt.Errorf("%w: %s repeats %s", errConfig, secretName(i), secretName(j))
			}
		}
		keys[i] = append([]byte(nil), k...)
	}
	return &Handles{keys: keys}, nil
}

// secretName names the i-th secret given to NewHandles in its errors.
func secretName(i int) string {
	if i == 0 {
		return "the handle secret"
	}
	return fmt.Sprintf("accepted handle secret %d", i)
}

// sameKey reports whether HMAC-SHA256 treats a and b as one key: a key
// longer than SHA-256's block is replaced by its hash and a shorter one is
// padded with zeros, so "k" and "k\x00", or a long key and its hash, make
// the same tags.
func sameKey(a, b []byte) bool {
	return hmac.Equal(hmacKey(a), hmacKey(b))
}

func hmacKey(k []byte) []byte {
	if len(k) > sha256.BlockSize {
		sum := sha256.Sum256(k)
		k = sum[:]
	}
	return append(append(make([]byte, 0, sha256.BlockSize), k...), make([]byte, sha256.BlockSize-len(k))...)
}

// Seal returns handle bound to p, to give to the client in its place. It
// returns an error if p is not valid.
func (h *Handles) Seal(p *authresult.Principal, handle string) (string, error) {
	if !p.Valid() {
		return "", authresult.NoCredentials()
	}
	return handle + "." + b64.EncodeToString(mac(h.keys[0], p.BindingKey(), handle)), nil
}

// Open returns the handle inside sealed if it was sealed for p with one of
// the secrets h accepts. Otherwise it returns a forbidden
// [*authresult.Error] whose cause is [ErrUnknownHandle].
func (h *Handles) Open(p *authresult.Principal, sealed string) (string, error) {
	if !p.Valid() {
		return "", authresult.NoCredentials()
	}
	i := strings.LastIndexByte(sealed, '.')
	if i < 0 {
		return "", unknownHandle()
	}
	handle, tag := sealed[:i], sealed[i+1:]
	// Strict: the 4 bits left over in the last character must be zero, so
	// that only the spelling Seal wrote opens, not 16 of them.
	got, err := b64.Strict().DecodeString(tag)
	if err != nil || len(got) != macLen {
		return "", unknownHandle()
	}
	user, ok := p.BindingKey(), 0
	for _, k := range h.keys {
		ok |= subtle.ConstantTimeCompare(got, mac(k, user, handle))
	}
	if ok != 1 {
		return "", unknownHandle()
	}
	return handle, nil
}

func unknownHandle() error {
	return authresult.Forbidden("unknown state handle", ErrUnknownHandle)
}

func mac(key []byte, user authresult.BindingKey, handle string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(user[:])
	m.Write([]byte(handle))
	return m.Sum(nil)[:macLen]
}

// StorageKey returns "<user>:<handle>", the key under which a server
// should store state for handle so that only p can reach it, as the MCP
// security best practices recommend. <user> is p's binding key in hex.
func StorageKey(p *authresult.Principal, handle string) string {
	return p.BindingKey().String() + ":" + handle
}
