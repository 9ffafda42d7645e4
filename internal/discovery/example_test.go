package discovery_test

import (
	"fmt"

	"github.com/mcpauth/mcpauth/internal/discovery"
)

func ExampleURLs() {
	urls, _ := discovery.URLs("https://idp.example/realms/mcp")
	for _, u := range urls {
		fmt.Println(u)
	}
	// Output:
	// https://idp.example/.well-known/oauth-authorization-server/realms/mcp
	// https://idp.example/realms/mcp/.well-known/openid-configuration
}
