package jwtverify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePublicKeyPEM(t *testing.T) {
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	privDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"}, NotBefore: t0, NotAfter: t0.Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	require.NoError(t, err)

	tests := []struct {
		name string
		pem  []byte
		want any
	}{
		{"PKIX RSA", pemOf(t, &rsaKey.PublicKey), &rsaKey.PublicKey},
		{"PKCS1 RSA", pkcs1, &rsaKey.PublicKey},
		{"PKIX EC", pemOf(t, &ecKey.PublicKey), &ecKey.PublicKey},
		{"PKIX Ed25519", pemOf(t, edPub), edPub},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), &ecKey.PublicKey},
		{"private key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), nil},
		{"other block", pem.EncodeToMemory(&pem.Block{Type: "FOO", Bytes: []byte{1}}), nil},
		{"trailing data", append(pemOf(t, edPub), "junk"...), nil},
		{"not PEM", []byte("MIIB"), nil},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKeyPEM(tt.pem)
			if tt.want == nil {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.want))
		})
	}
}

func TestAlgorithmKeyFit(t *testing.T) {
	ec384, err := ecdsa.GenerateKey(ecdsaP384(), rand.Reader)
	require.NoError(t, err)
	keys := map[string]any{
		"secret32": hmacSecret, "secret64": append(append([]byte{}, hmacSecret...), hmacSecret...),
		"rsa": &rsaKey.PublicKey, "p256": &ecKey.PublicKey, "p384": &ec384.PublicKey, "ed": edPub,
	}
	fits := map[string][]string{
		"HS256": {"secret32", "secret64"}, "HS512": {"secret64"},
		"RS256": {"rsa"}, "PS512": {"rsa"}, "ES256": {"p256"}, "ES384": {"p384"}, "EdDSA": {"ed"},
	}
	for alg, want := range fits {
		a := algorithms[alg]
		for name, k := range keys {
			assert.Equal(t, slices.Contains(want, name), a.fits(k), "%s with %s", alg, name)
		}
	}
}

func ecdsaP384() elliptic.Curve { return elliptic.P384() }
