package middleware

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpauth/mcpauth/authresult"
)

// TestSlowBodyDoesNotHoldRefusal: a client without valid credentials that
// sends the start of a large body and stalls gets its 401 after
// BodyReadTimeout, not when the server's own timeouts (or the client)
// give up; the same for a form body, which is read to look for a token.
func TestSlowBodyDoesNotHoldRefusal(t *testing.T) {
	a, err := New(TokenVerifierFunc(func(context.Context, string) (*authresult.Principal, error) {
		return nil, authresult.InvalidToken("bad token", nil)
	}), &Options{BodyReadTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	srv := httptest.NewServer(a.Handler(http.NotFoundHandler()))
	t.Cleanup(srv.Close)

	for _, tc := range []struct{ name, auth, ctype string }{
		{"no token", "", "application/json"},
		{"bad token", "Authorization: Bearer bad\r\n", "application/json"},
		{"form body", "", "application/x-www-form-urlencoded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			require.NoError(t, err)
			defer conn.Close()
			start := time.Now()
			_, err = fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: x\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":7,%s",
				tc.auth, tc.ctype, 4<<20, strings.Repeat(" ", 1000))
			require.NoError(t, err)
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err, "answered before the client gave up")
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Contains(t, []int{400, 401}, resp.StatusCode, "%s", b)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}
