package gosdk_test

import (
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler/gosdk"
)

// In a tool handler, the principal comes from req.Extra.
func ExamplePrincipal() {
	alice := &authresult.Principal{Subject: "alice", Issuer: "https://idp.example", Scopes: []string{"mcp:read"}}
	extra := &mcp.RequestExtra{TokenInfo: gosdk.TokenInfo(alice)} // what Handler gives the SDK

	p, ok := gosdk.Principal(extra)
	fmt.Println(ok, p.Subject, extra.TokenInfo.UserID == alice.BindingKey().String())
	// Output:
	// true alice true
}
