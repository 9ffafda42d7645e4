package credentials_test

import (
	"fmt"
	"net/url"

	"github.com/mcpauth/mcpauth/mcpproxy"
	"github.com/mcpauth/mcpauth/mcpproxy/credentials"
)

// Each user's request reaches the upstream with a token of the upstream's
// own, exchanged for the user's verified token (RFC 8693).
func ExampleTokenExchange() {
	upstream, _ := url.Parse("https://files.internal.example/mcp")
	src, err := credentials.TokenExchange(&credentials.ExchangeOptions{
		TokenURL:     "https://sso.example.com/oauth2/token",
		ClientID:     "mcp-gateway",
		ClientSecret: "from-your-secret-store",
		Upstream:     upstream, // the audience: its RFC 9728 resource, or this URL
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = mcpproxy.New(upstream, &mcpproxy.Options{UpstreamHeaders: src.Headers})
	fmt.Println(err)
	// Output: <nil>
}
