package mcphandler

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandles(t *testing.T) {
	h, err := NewHandles(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	sealed, err := h.Seal(alice, "cart.42")
	require.NoError(t, err)
	got, err := h.Open(alice, sealed)
	require.NoError(t, err)
	assert.Equal(t, "cart.42", got)
	got, err = h.Open(aliceAgain, sealed)
	require.NoError(t, err, "a refreshed token still opens the handle")
	assert.Equal(t, "cart.42", got)

	other, err := NewHandles(bytes.Repeat([]byte{8}, 32))
	require.NoError(t, err)
	for name, try := range map[string]func() (string, error){
		"other user":         func() (string, error) { return h.Open(bob, sealed) },
		"same sub other iss": func() (string, error) { return h.Open(mallory, sealed) },
		"other secret":       func() (string, error) { return other.Open(alice, sealed) },
		"bare handle":        func() (string, error) { return h.Open(alice, "cart.42") },
		"no dot":             func() (string, error) { return h.Open(alice, "cart") },
		"tag swapped":        func() (string, error) { return h.Open(alice, "cart.43"+sealed[strings.LastIndexByte(sealed, '.'):]) },
		"tag truncated":      func() (string, error) { return h.Open(alice, sealed[:len(sealed)-2]) },
		"bad base64":         func() (string, error) { return h.Open(alice, "cart.42.!!!") },
		"empty":              func() (string, error) { return h.Open(alice, "") },
	} {
		got, err := try()
		assert.Empty(t, got, name)
		assert.ErrorIs(t, err, ErrUnknownHandle, name)
		assert.ErrorIs(t, err, authresult.ErrForbidden, name)
	}
	_, err = h.Seal(nil, "x")
	assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
	_, err = h.Open(&authresult.Principal{}, sealed)
	assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
	_, err = NewHandles([]byte("short"))
	assert.ErrorIs(t, err, errConfig)

	assert.Equal(t, alice.BindingKey().String()+":cart", StorageKey(alice, "cart"))
	assert.NotEqual(t, StorageKey(alice, "cart"), StorageKey(bob, "cart"))
}
