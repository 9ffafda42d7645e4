package authresult

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseScope(t *testing.T) {
	assert.Equal(t, []string{"a", "b:c"}, ParseScope("  a b:c "))
	assert.Empty(t, ParseScope(""))
	assert.Equal(t, []string{"a\tb"}, ParseScope("a\tb"), "only spaces delimit")
}

func TestValidScope(t *testing.T) {
	for s, ok := range map[string]bool{
		"mcp:read": true, "a!#[]^~": true, "": false, "a b": false, `a"b`: false, `a\b`: false, "a\x7f": false, "é": false, "a\tb": false,
	} {
		assert.Equal(t, ok, ValidScope(s), "%q", s)
	}
}

func TestScopeString(t *testing.T) {
	assert.Equal(t, "a c", ScopeString([]string{"a", "b b", "c"}))
	assert.Equal(t, "a", ScopeString([]string{"a"}))
	assert.Empty(t, ScopeString([]string{"a b"}))
	assert.Empty(t, ScopeString(nil))
}
