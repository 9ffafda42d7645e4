package mcpgo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler/mcpgo"
)

func ExampleContextFunc() {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r = r.WithContext(authresult.NewContext(r.Context(), &authresult.Principal{Subject: "alice"}))

	ctx := mcpgo.ContextFunc(context.Background(), r) // mcp-go calls this per request
	p, ok := authresult.FromContext(ctx)
	fmt.Println(ok, p.Subject)
	// Output:
	// true alice
}
