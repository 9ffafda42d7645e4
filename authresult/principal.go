package authresult

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"slices"
	"time"
)

// Principal is a verified identity: who called, who vouched for them, and
// what they may do. A Principal is valid only with a non-empty Subject.
//
// Principals are shared between goroutines once they are in a request
// context; treat them as read-only.
type Principal struct {
	// Subject identifies the caller within Issuer (the JWT "sub" claim).
	Subject string
	// Issuer is the party that vouched for the caller (the "iss" claim).
	Issuer string
	// Audience lists the resources the credentials were issued for.
	Audience []string
	// Scopes are the granted OAuth scopes.
	Scopes []string
	// ClientID identifies the OAuth client acting for the subject
	// ("client_id" or "azp").
	ClientID string
	// Expiry is when the credentials stop being valid; zero means unknown.
	Expiry time.Time
	// Claims holds the raw claims, if the authenticator kept them.
	Claims map[string]any
	// Value is an application-defined value attached by the authenticator.
	Value any
}

// BindingKey identifies a principal across requests and token refreshes. It
// is derived from Issuer and Subject only, so two tokens for the same user
// from the same issuer share a key, and no choice of issuer and subject
// strings can collide with another pair.
type BindingKey [sha256.Size]byte

// String returns the key in hex.
func (k BindingKey) String() string { return hex.EncodeToString(k[:]) }

// BindingKey returns the principal's binding key.
func (p *Principal) BindingKey() BindingKey {
	return BindingKey(lengthPrefixedHash(p.Issuer, p.Subject))
}

// lengthPrefixedHash is SHA-256 over each string preceded by its length,
// so that no choice of the strings collides with another.
func lengthPrefixedHash(parts ...string) [sha256.Size]byte {
	var stack [256]byte
	b := stack[:0]
	for _, s := range parts {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	return sha256.Sum256(b)
}

// Valid reports whether p can stand for an authenticated caller: non-nil
// with a non-empty Subject.
func (p *Principal) Valid() bool { return p != nil && p.Subject != "" }

// HasScope reports whether p was granted scope.
func (p *Principal) HasScope(scope string) bool {
	return p != nil && slices.Contains(p.Scopes, scope)
}

// MissingScopes returns the scopes in required that p was not granted, in
// order, or nil when p has them all.
func (p *Principal) MissingScopes(required ...string) []string {
	var missing []string
	for _, s := range required {
		if !p.HasScope(s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// LogValue implements slog.LogValuer. It logs identity fields only; claims
// and the application value are left out because they may hold secrets.
func (p *Principal) LogValue() slog.Value {
	if p == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("sub", p.Subject),
		slog.String("iss", p.Issuer),
		slog.String("client_id", p.ClientID),
		slog.Any("scopes", p.Scopes),
	)
}
