package settings

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"10/s": 10, "600/m": 10, "0.5/s": 0.5} {
		got, err := ParseRate(in)
		assert.NoError(t, err, in)
		assert.InDelta(t, want, got, 1e-9, in)
	}
	for _, in := range []string{"", "10", "10/h", "0/s", "-1/s", "NaN/s", "Inf/s", "x/s"} {
		_, err := ParseRate(in)
		assert.Error(t, err, in)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelWarn, "debug": slog.LevelDebug, "INFO": slog.LevelInfo, "error": slog.LevelError} {
		got, err := ParseLevel(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"loud", "info+2", "warn-1"} {
		_, err := ParseLevel(in)
		assert.Error(t, err, in)
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://sso.example.com/realms/x", "http://127.0.0.1:8080", "http://localhost/x", "http://[::1]:9/"} {
		_, err := CheckURL(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"http://sso.example.com", "/relative", "https://u:p@sso.example.com", "https://sso.example.com/#f", "ftp://127.0.0.1", "https://%zz"} {
		_, err := CheckURL(bad)
		assert.Error(t, err, bad)
	}
	_, err := CheckURL("https://user:hunter2@%zz")
	assert.NotContains(t, err.Error(), "hunter2", "an error never quotes the value")
}
