package jwtverify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus accepted, from configuration or
// from a JWKS.
const minRSABits = 2048

// minHMACSecret is the smallest HMAC secret accepted for HS256; HS384 and
// HS512 need 48 and 64 bytes (RFC 7518 §3.2: at least the hash size).
const minHMACSecret = 32

// algorithm is one allowed JWS algorithm and the golang-jwt method that
// verifies it. The table is fixed here rather than read from golang-jwt's
// global registry, which any package can change.
type algorithm struct {
	name   string
	method jwt.SigningMethod
	fits   func(key any) bool
}

var algorithms = map[string]algorithm{
	"HS256": {"HS256", jwt.SigningMethodHS256, hmacFits(32)},
	"HS384": {"HS384", jwt.SigningMethodHS384, hmacFits(48)},
	"HS512": {"HS512", jwt.SigningMethodHS512, hmacFits(64)},
	"RS256": {"RS256", jwt.SigningMethodRS256, rsaFits},
	"RS384": {"RS384", jwt.SigningMethodRS384, rsaFits},
	"RS512": {"RS512", jwt.SigningMethodRS512, rsaFits},
	"PS256": {"PS256", jwt.SigningMethodPS256, rsaFits},
	"PS384": {"PS384", jwt.SigningMethodPS384, rsaFits},
	"PS512": {"PS512", jwt.SigningMethodPS512, rsaFits},
	"ES256": {"ES256", jwt.SigningMethodES256, ecFits(elliptic.P256())},
	"ES384": {"ES384", jwt.SigningMethodES384, ecFits(elliptic.P384())},
	"ES512": {"ES512", jwt.SigningMethodES512, ecFits(elliptic.P521())},
	"EdDSA": {"EdDSA", jwt.SigningMethodEdDSA, edFits},
}

func hmacFits(n int) func(any) bool {
	return func(key any) bool {
		b, ok := key.([]byte)
		return ok && len(b) >= n
	}
}

func rsaFits(key any) bool {
	k, ok := key.(*rsa.PublicKey)
	return ok && k.N != nil && k.N.BitLen() >= minRSABits
}

func ecFits(c elliptic.Curve) func(any) bool {
	return func(key any) bool {
		k, ok := key.(*ecdsa.PublicKey)
		return ok && k.Curve == c
	}
}

func edFits(key any) bool {
	k, ok := key.(ed25519.PublicKey)
	return ok && len(k) == ed25519.PublicKeySize
}

// verifyKey is one key the verifier may check signatures with. It is
// immutable except for removed, which a JWKS refresh sets when the key
// leaves its set; cached tokens verified with it then stop being served.
type verifyKey struct {
	id      string
	alg     string // the JWK "alg"; empty means any algorithm that fits
	key     any    // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	issuer  string // empty means any accepted issuer
	source  string // "static" or the JWKS URL, for logs
	removed atomic.Bool
}

// usableWith reports whether k may verify a token signed with alg.
func (k *verifyKey) usableWith(a *algorithm) bool {
	return (k.alg == "" || k.alg == a.name) && a.fits(k.key)
}

// sameAs reports whether k and o are the same key under the same name, so
// that a refresh can keep k (and the tokens cached with it).
func (k *verifyKey) sameAs(o *verifyKey) bool {
	if k.id != o.id || k.alg != o.alg || k.issuer != o.issuer {
		return false
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := k.key.(equaler)
	return ok && e.Equal(o.key)
}

var (
	errKeyFields     = errors.New("exactly one of Secret, PublicKey and PEM must be set")
	errShortSecret   = fmt.Errorf("HMAC secret shorter than %d bytes", minHMACSecret)
	errPrivateKey    = errors.New("a private key was given; give the public key")
	errKeyType       = errors.New("unsupported key type")
	errWeakRSA       = fmt.Errorf("RSA key shorter than %d bits", minRSABits)
	errPEM           = errors.New("no PEM block found")
	errPEMTrailing   = errors.New("data after the PEM block")
	errPEMBlockType  = errors.New("unsupported PEM block type")
	errUnsupportedEC = errors.New("unsupported elliptic curve")
)

// staticKey checks a configured key and turns it into a verifyKey.
func staticKey(k Key) (*verifyKey, error) {
	n := 0
	for _, set := range []bool{k.Secret != nil, k.PublicKey != nil, k.PEM != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errKeyFields
	}
	var key any
	switch {
	case k.Secret != nil:
		if len(k.Secret) < minHMACSecret {
			return nil, errShortSecret
		}
		key = bytes.Clone(k.Secret)
	case k.PEM != nil:
		pub, err := ParsePublicKeyPEM(k.PEM)
		if err != nil {
			return nil, err
		}
		key = pub
	default:
		pub, err := checkPublicKey(k.PublicKey)
		if err != nil {
			return nil, err
		}
		key = pub
	}
	return &verifyKey{id: k.ID, key: key, issuer: k.Issuer, source: "static"}, nil
}

// checkPublicKey accepts the public key types the verifier supports.
func checkPublicKey(pub crypto.PublicKey) (any, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil || p.N.BitLen() < minRSABits {
			return nil, errWeakRSA
		}
		return p, nil
	case *ecdsa.PublicKey:
		if p == nil {
			return nil, errKeyType
		}
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return p, nil
		}
		return nil, errUnsupportedEC
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, errKeyType
		}
		return p, nil
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey, []byte:
		return nil, errPrivateKey
	}
	return nil, fmt.Errorf("%w: %T", errKeyType, pub)
}

// ParsePublicKeyPEM parses one PEM block holding a public key: "PUBLIC
// KEY" (PKIX), "RSA PUBLIC KEY" (PKCS #1) or "CERTIFICATE". It returns
// an *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey, and an error
// for private keys, other block types, weak RSA keys and trailing data.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errPEM
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errPEMTrailing
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			pub = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return nil, errPrivateKey
		}
		return nil, fmt.Errorf("%w %q", errPEMBlockType, block.Type)
	}
	if err != nil {
		return nil, err
	}
	return checkPublicKey(pub)
}

// keySet is an immutable set of keys indexed by key ID. Keys without an ID
// (static keys only) are listed under "".
type keySet struct {
	byID map[string][]*verifyKey
}

func newKeySet(keys []*verifyKey) *keySet {
	s := &keySet{byID: make(map[string][]*verifyKey, len(keys))}
	for _, k := range keys {
		s.byID[k.id] = append(s.byID[k.id], k)
	}
	return s
}

// all returns every key in s.
func (s *keySet) all() []*verifyKey {
	var out []*verifyKey
	for _, ks := range s.byID {
		out = append(out, ks...)
	}
	return out
}
