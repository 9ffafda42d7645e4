package mcpproxy_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcpproxy"
)

// The gateway's own credential replaces the client's token upstream.
func ExampleNew() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "upstream saw %q", r.Header.Get("Authorization"))
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL + "/mcp")
	proxy, err := mcpproxy.New(u, &mcpproxy.Options{
		UpstreamHeaders: func(context.Context, *authresult.Principal) (http.Header, error) {
			return http.Header{"Authorization": {"Bearer gateway-key"}}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	guard, err := mcphandler.New(proxy, nil) // the proxy forwards what the guard admitted
	if err != nil {
		panic(err)
	}

	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer the-clients-token")
	r = r.WithContext(authresult.NewContext(r.Context(), &authresult.Principal{Subject: "alice"})) // set by middleware
	w := httptest.NewRecorder()
	guard.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	fmt.Println(string(body))
	// Output:
	// upstream saw "Bearer gateway-key"
}
