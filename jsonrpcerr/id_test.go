package jsonrpcerr

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtractID(t *testing.T) {
	tests := []struct {
		name, body, want string // want "" means null
	}{
		{"number", `{"jsonrpc":"2.0","id":1,"method":"initialize"}`, `1`},
		{"string", `{"jsonrpc":"2.0","id":"abc","method":"x"}`, `"abc"`},
		{"string with escapes kept", `{"id":"a\"b\u00e9\\"}`, `"a\"b\u00e9\\"`},
		{"largest exact integer preserved", `{"id":9007199254740991}`, `9007199254740991`},
		{"smallest exact integer preserved", `{"id":-9007199254740991}`, `-9007199254740991`},
		{"integer past 2^53-1 is no id", `{"id":9007199254740992}`, ``},
		{"big integer is no id", `{"id":123456789012345678901234567890}`, ``},
		{"fraction is no id", `{"id":1.5}`, ``},
		{"negative float exponent is no id", `{"id":-1.5e+10}`, ``},
		{"zero", `{"id":0}`, `0`},
		{"whitespace", " \r\n\t{ \"id\" :\t7 , \"x\":[1,{\"id\":2}] }\n", `7`},
		{"id after nested id", `{"params":{"id":5},"id":6}`, `6`},
		{"escaped key", `{"\u0069d":9}`, `9`},
		{"notification", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, ``},
		{"null id", `{"id":null}`, ``},
		{"object id", `{"id":{"a":1}}`, ``},
		{"array id", `{"id":[1]}`, ``},
		{"bool id", `{"id":true}`, ``},
		{"duplicate id", `{"id":1,"id":2}`, ``},
		{"duplicate via escape", `{"id":1,"\u0069d":2}`, ``},
		{"case differs", `{"ID":1}`, ``},
		{"batch", `[{"id":1,"method":"x"}]`, ``},
		{"invalid json", `{"id":1,`, ``},
		{"trailing garbage", `{"id":1} x`, ``},
		{"two objects", `{"id":1}{"id":2}`, ``},
		{"trailing comma", `{"id":1,}`, ``},
		{"leading zero", `{"id":01}`, ``},
		{"bare minus", `{"id":-}`, ``},
		{"dot without digits", `{"id":1.}`, ``},
		{"control char in string", "{\"id\":\"a\x01\"}", ``},
		{"invalid escape", `{"id":"\x"}`, ``},
		{"short unicode escape", `{"id":"\u12"}`, ``},
		{"invalid utf8 id", "{\"id\":\"\xff\"}", ``},
		{"single quotes", `{'id':1}`, ``},
		{"empty", ``, ``},
		{"empty object", `{}`, ``},
		{"string top level", `"id"`, ``},
		{"bom", "\xef\xbb\xbf{\"id\":1}", ``},
		{"too deep", `{"id":1,"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExtractID([]byte(tt.body))
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestRequestIDRestoresBody(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		max    int64
		wantID string
	}{
		{"within cap", `{"jsonrpc":"2.0","id":42,"method":"tools/call"}`, 0, `42`},
		{"exactly at cap", `{"id":42}`, 9, `42`},
		{"over cap", `{"id":42,"pad":"` + strings.Repeat("x", 100) + `"}`, 20, ``},
		{"over cap by one", `{"id":42}`, 8, ``},
		{"large body within cap", `{"id":42,"pad":"` + strings.Repeat("x", 10000) + `"}`, 1 << 20, `42`},
		{"invalid", `{"id":`, 0, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(tt.body))
			got := RequestID(r, tt.max)
			if tt.wantID == "" {
				assert.Nil(t, got)
			} else {
				assert.Equal(t, tt.wantID, string(got))
			}
			rest, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.body, string(rest), "the next handler reads identical bytes")
			assert.NoError(t, r.Body.Close())
		})
	}
}

type countingBody struct {
	io.Reader
	reads  int
	closed bool
}

func (c *countingBody) Read(p []byte) (int, error) { c.reads++; return c.Reader.Read(p) }
func (c *countingBody) Close() error               { c.closed = true; return nil }

func TestRequestIDNeverReadsOtherMethods(t *testing.T) {
	for _, m := range []string{http.MethodGet, http.MethodDelete, http.MethodPut, http.MethodHead, http.MethodOptions} {
		body := &countingBody{Reader: strings.NewReader(`{"id":1}`)}
		r := httptest.NewRequest(m, "/mcp", nil)
		r.Body = body
		assert.Nil(t, RequestID(r, 0), m)
		assert.Zero(t, body.reads, m)
		assert.Same(t, body, r.Body, m)
	}
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	assert.Nil(t, RequestID(r, 0))
}

func TestRequestIDClosesOriginal(t *testing.T) {
	body := &countingBody{Reader: strings.NewReader(`{"id":1}`)}
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Body = body
	assert.Equal(t, "1", string(RequestID(r, 0)))
	require.NoError(t, r.Body.Close())
	assert.True(t, body.closed)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestRequestIDReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"id":1`), errReader{boom}))
	assert.Nil(t, RequestID(r, 0))
	b, err := io.ReadAll(r.Body)
	assert.ErrorIs(t, err, boom, "the next handler sees the same failure")
	assert.Equal(t, `{"id":1`, string(b))
}
