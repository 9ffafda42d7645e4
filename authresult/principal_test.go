package authresult

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBindingKey(t *testing.T) {
	a := &Principal{Issuer: "https://idp", Subject: "alice"}
	tests := []struct {
		name string
		p    *Principal
		same bool
	}{
		{"same identity, other token fields", &Principal{Issuer: "https://idp", Subject: "alice", Scopes: []string{"x"}, ClientID: "c"}, true},
		{"other subject", &Principal{Issuer: "https://idp", Subject: "bob"}, false},
		{"other issuer", &Principal{Issuer: "https://evil", Subject: "alice"}, false},
		{"shifted boundary", &Principal{Issuer: "https://idpa", Subject: "lice"}, false},
		{"swapped fields", &Principal{Issuer: "alice", Subject: "https://idp"}, false},
		{"separator in subject", &Principal{Issuer: "https:/", Subject: "/idp\x00alice"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.same, a.BindingKey() == tt.p.BindingKey())
		})
	}
	assert.Len(t, a.BindingKey().String(), 64)
}

func TestScopes(t *testing.T) {
	p := &Principal{Subject: "s", Scopes: []string{"read", "write"}}
	assert.True(t, p.HasScope("read"))
	assert.False(t, p.HasScope("admin"))
	assert.Nil(t, p.MissingScopes("read", "write"))
	assert.Equal(t, []string{"admin", "root"}, p.MissingScopes("admin", "read", "root"))
	var nilP *Principal
	assert.False(t, nilP.HasScope("read"))
	assert.False(t, nilP.Valid())
}

func TestLogValueRedacts(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("auth", "principal", &Principal{Subject: "alice", Claims: map[string]any{"secret": "hunter2"}, Value: "tok-123"})
	assert.Contains(t, buf.String(), "alice")
	assert.NotContains(t, buf.String(), "hunter2")
	assert.NotContains(t, buf.String(), "tok-123")
	buf.Reset()
	log.Info("auth", "principal", (*Principal)(nil))
	assert.Contains(t, buf.String(), "<nil>")
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	_, ok := FromContext(ctx)
	assert.False(t, ok)

	alice := &Principal{Subject: "alice"}
	ctx = NewContext(ctx, alice)
	p, ok := FromContext(ctx)
	assert.True(t, ok)
	assert.Same(t, alice, p)

	// An invalid principal hides the outer one instead of leaving it visible.
	for _, bad := range []*Principal{nil, {}} {
		inner := NewContext(ctx, bad)
		p, ok = FromContext(inner)
		assert.False(t, ok)
		assert.Nil(t, p)
	}

	// A foreign value under a look-alike key is not a principal.
	type principalKey struct{}
	ctx = context.WithValue(context.Background(), principalKey{}, alice)
	_, ok = FromContext(ctx)
	assert.False(t, ok)
}
