package observe

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/decision"
)

func TestLoggerFormats(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"json", `"msg":"hello"`},
		{"text", `msg=hello`},
		{"", `msg=hello`},
	} {
		var buf bytes.Buffer
		Logger(&buf, slog.LevelInfo, tc.format).Info("hello")
		assert.Contains(t, buf.String(), tc.want, tc.format)
	}
	var buf bytes.Buffer
	Logger(&buf, slog.LevelWarn, "json").Info("hidden")
	assert.Empty(t, buf.String(), "below the level")
}

func TestHooks(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(&buf, slog.LevelWarn, "json")
	assert.Nil(t, Hooks(log, slog.LevelWarn, nil), "no audit above info and no metrics: no hook, nothing to pay per request")

	m, err := NewMetrics()
	require.NoError(t, err)
	defer m.Close()
	log = Logger(&buf, slog.LevelInfo, "json")
	h := Hooks(log, slog.LevelInfo, m)
	require.NotNil(t, h)
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	h(r, decision.Decision{Layer: decision.LayerGuard, Outcome: decision.Allowed, Reason: decision.ReasonOK, Status: 200, Method: "tools/call", Tool: "echo"})
	assert.Contains(t, buf.String(), `"tool":"echo"`, "the audit record")
	n, err := testutil.GatherAndCount(m.Registry)
	require.NoError(t, err)
	assert.Positive(t, n)
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	assert.Contains(t, strings.Join(names, " "), "mcpauth_decisions", "the decision was counted")
	assert.Contains(t, strings.Join(names, " "), "go_goroutines", "the Go runtime's metrics")
}

// No span is made, so no traceparent is invented for the upstream: it
// starts its own traces, its own sampler deciding.
func TestNoTraceparentInvented(t *testing.T) {
	m, err := NewMetrics()
	require.NoError(t, err)
	defer m.Close()
	var got []string
	up := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Values("Traceparent") }))
	defer up.Close()
	client := &http.Client{Transport: m.Telemetry.Transport(nil)}
	resp, err := client.Get(up.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, got)
}
