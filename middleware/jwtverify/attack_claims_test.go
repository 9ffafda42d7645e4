package jwtverify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAttackDecodeClaimsDeepNesting: a claim nested 600 levels deep fits
// in a token and encoding/json reads it; decodeClaims refuses payloads
// nested deeper than jsonscan.MaxDepth (512) as malformed. Stricter than
// encoding/json, never looser: nothing it refuses is a claim a provider
// sends, and a token it refuses is refused whole.
func TestAttackDecodeClaimsDeepNesting(t *testing.T) {
	raw := []byte(`{"sub":"alice","x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`)
	var want map[string]any
	require.NoError(t, json.Unmarshal(raw, &want), "encoding/json reads it")
	_, err := decodeClaims(raw)
	assert.ErrorIs(t, err, errPayloadJSON)
	ok := []byte(`{"sub":"alice","x":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}`)
	got, err := decodeClaims(ok)
	require.NoError(t, err, "500 levels are read")
	require.NoError(t, json.Unmarshal(ok, &want))
	assert.Equal(t, want, got)
}
