package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stderrRecord struct {
	Route string `json:"route"`
	Line  string `json:"line"`
	Cut   bool   `json:"cut"`
}

func records(t *testing.T, out *bytes.Buffer) []stderrRecord {
	t.Helper()
	var got []stderrRecord
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var r stderrRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		got = append(got, r)
	}
	return got
}

func TestStderrLog(t *testing.T) {
	long := strings.Repeat("x", maxStderrLine+100)
	tests := []struct {
		name   string
		writes []string
		want   []stderrRecord
	}{
		{"one line", []string{"hello\n"}, []stderrRecord{{"/r", "hello", false}}},
		{"split over writes", []string{"hel", "lo\nwor", "ld\n"}, []stderrRecord{{"/r", "hello", false}, {"/r", "world", false}}},
		{"crlf", []string{"a\r\nb\r\n"}, []stderrRecord{{"/r", "a", false}, {"/r", "b", false}}},
		{"unfinished line held", []string{"no newline yet"}, nil},
		{"long line cut, the next one whole", []string{long[:3000], long[3000:] + "\nnext\n"}, []stderrRecord{{"/r", long[:maxStderrLine], true}, {"/r", "next", false}}},
		{"empty lines", []string{"\n\n"}, []stderrRecord{{"/r", "", false}, {"/r", "", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s := &stderrLog{log: slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})), route: "/r"}
			for _, w := range tt.writes {
				n, err := s.Write([]byte(w))
				require.NoError(t, err)
				assert.Equal(t, len(w), n)
			}
			assert.Equal(t, tt.want, records(t, &out))
			assert.LessOrEqual(t, cap(s.line), 2*maxStderrLine, "bounded")
		})
	}
}

// Above debug nothing is logged, and no writer ever starts a goroutine
// (one per replaced bridge used to stay forever).
func TestStderrLogQuietAndNoGoroutine(t *testing.T) {
	var out bytes.Buffer
	before := goruntime.NumGoroutine()
	for range 50 {
		s := &stderrLog{log: slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})), route: "/r"}
		_, _ = s.Write([]byte("secret-ish output\n"))
		d := &stderrLog{log: slog.New(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelDebug})), route: "/r"}
		_, _ = d.Write([]byte("line\n"))
	}
	assert.Empty(t, out.String())
	assert.LessOrEqual(t, goruntime.NumGoroutine(), before)
}
