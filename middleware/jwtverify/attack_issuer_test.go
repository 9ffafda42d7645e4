package jwtverify

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAttackIssuerTemplateInHost: newIssuer's own error says "the
// placeholder must ... follow the issuer's origin", and validTemplateValue
// allows '.', but only an empty prefix is refused. A template with the
// placeholder in the authority ("https://{tid}", or
// "https://login.example.com{tid}/v2.0" with a missing slash) is
// accepted, so a token's tid chooses the host of its own accepted
// issuer: tid "evil.example" makes iss "https://evil.example" an
// accepted issuer and the principal's Issuer.
func TestAttackIssuerTemplateInHost(t *testing.T) {
	c := newClock()
	for _, tmpl := range []string{"https://{tid}", "https://{tid}/v2.0", "https://login.example.com{tid}/v2.0"} {
		opts := baseOptions(c)
		opts.Algorithms, opts.Keys, opts.Issuers = []string{"HS256"}, []Key{{Secret: hmacSecret}}, []string{tmpl}
		v, err := New(&opts)
		if v != nil {
			v.Close()
		}
		assert.Error(t, err, "template %q puts the tenant in the issuer's origin", tmpl)
	}
}
