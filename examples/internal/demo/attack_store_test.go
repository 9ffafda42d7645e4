package demo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackStoreErrorShowsPassword: a -store (or MCPAUTH_STORE) URL
// that go-redis cannot parse — a typo in the port, a '%' in the password
// that is not an escape — is reported with the parser's error, which
// quotes the whole URL, password included. The error is printed to the
// terminal and to container logs; the flag's own help says the URL
// carries user:pass.
func TestAttackStoreErrorShowsPassword(t *testing.T) {
	for _, store := range []string{
		"redis://app:hunter2-secret@redis.internal:63a9/0",
		"redis://app:hunter2-secret%@redis.internal:6379/0",
	} {
		_, err := parse(t, map[string]string{"MCPAUTH_STORE": store})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2-secret", "the Redis password reached the error")
	}
}

// TestAttackIntrospectionURLErrorShowsPassword: an -introspection-url
// with user info is refused, rightly, but the error quotes the URL,
// password included.
func TestAttackIntrospectionURLErrorShowsPassword(t *testing.T) {
	_, err := parse(t, nil, "-introspection-url", "https://srv:hunter2-secret@idp.example/introspect",
		"-introspection-client-id", "srv", "-introspection-client-secret", "x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2-secret", "the password reached the error")
}
