package mcphandler

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func onlyEcho(name string) bool { return name == "echo" }

func TestFilterTools(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"single", `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"},{"name":"rm"}],"nextCursor":"c"}}`,
			`{"id":1,"jsonrpc":"2.0","result":{"nextCursor":"c","tools":[{"name":"echo"}]}}`},
		{"batch", `[{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"rm"}]}},{"jsonrpc":"2.0","id":2,"result":{}}]`,
			`[{"id":1,"jsonrpc":"2.0","result":{"tools":[]}},{"jsonrpc":"2.0","id":2,"result":{}}]`},
		{"no tools untouched", `{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`, `{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`},
		{"notification untouched", `{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`, `{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`},
		{"error untouched", `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}`, `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}`},
		{"case-variant name does not count", `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"Name":"echo","name":"rm"}]}}`,
			`{"id":1,"jsonrpc":"2.0","result":{"tools":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := filterTools([]byte(tt.in), onlyEcho)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(out))
		})
	}
	for _, bad := range []string{`{"jsonrpc":"2.0","id":1,"result":{"tools":"x"}}`, `{"result":{"tools":[{"name":5}]}}`, `{`, `[{]`} {
		_, err := filterTools([]byte(bad), onlyEcho)
		assert.ErrorIs(t, err, errUnfilterable, bad)
	}
}

const sseList = "event: message\r\nid: 7\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\r\ndata: \"result\":{\"tools\":[{\"name\":\"echo\"},{\"name\":\"rm\"}]}}\r\n\r\n" +
	": keep-alive\n\n" +
	"data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n"

func TestSSEFilterAnyChunking(t *testing.T) {
	whole := &sseFilter{allowed: onlyEcho}
	want := string(whole.write([]byte(sseList))) + string(whole.flush())
	assert.NotContains(t, want, `"rm"`)
	assert.Contains(t, want, `"echo"`)
	assert.Contains(t, want, "id: 7")
	assert.Contains(t, want, ": keep-alive\n\n")
	assert.Contains(t, want, "notifications/message")
	// Every split of the stream into two writes gives the same output.
	for i := 0; i <= len(sseList); i++ {
		f := &sseFilter{allowed: onlyEcho}
		got := string(f.write([]byte(sseList[:i]))) + string(f.write([]byte(sseList[i:]))) + string(f.flush())
		require.Equal(t, want, got, "split at %d", i)
	}
}

func TestSSEFilterDropsUnreadable(t *testing.T) {
	f := &sseFilter{allowed: onlyEcho}
	out := string(f.write([]byte("data: {\"result\":{\"tools\":[{\"name\":\"rm\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n\n")))
	assert.NotContains(t, out, "rm")
	assert.Contains(t, out, `"id":2`)
	assert.Equal(t, 1, f.dropped)
}

func TestSSEFilterUnterminatedTail(t *testing.T) {
	f := &sseFilter{allowed: onlyEcho}
	out := string(f.write([]byte(`data: {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"rm"}]}}`))) + string(f.flush())
	assert.NotContains(t, out, `"rm"`, "a final event without a blank line is filtered too")
	assert.True(t, strings.HasPrefix(out, "data: "))
}

// FuzzSSEFilterChunking checks that however a stream is cut into writes,
// the filter produces the same output as for the whole stream, and never
// lets a refused tool through.
func FuzzSSEFilterChunking(f *testing.F) {
	f.Add([]byte(sseList), uint8(1))
	f.Add([]byte("data: {\"result\":{\"tools\":[{\"name\":\"rm\"}]}}\r\r\r\ndata: x\n\n"), uint8(3))
	f.Add([]byte("event: a\r\n\r\ndata: {}\n\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, stream []byte, step uint8) {
		whole := &sseFilter{allowed: onlyEcho}
		want := string(whole.write(stream)) + string(whole.flush())
		n := int(step%16) + 1
		f := &sseFilter{allowed: onlyEcho}
		var got []byte
		for i := 0; i < len(stream); i += n {
			got = append(got, f.write(stream[i:min(i+n, len(stream))])...)
		}
		got = append(got, f.flush()...)
		if string(got) != want {
			t.Fatalf("chunks of %d: %q, whole: %q", n, got, want)
		}
		if strings.Contains(want, `"name":"rm"`) && !strings.Contains(string(stream), `"name":"rm"`) {
			t.Fatalf("filter invented a tool")
		}
	})
}

func TestFilterMarksListPrivate(t *testing.T) {
	out, err := filterTools([]byte(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"echo"}],"cacheScope":"public"}}`), onlyEcho)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"cacheScope":"private"`)
}
