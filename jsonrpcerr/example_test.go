package jsonrpcerr_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/jsonrpcerr"
)

func ExampleWrite() {
	req := httptest.NewRequest(http.MethodPost, "/mcp",
		strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call"}`))
	rec := httptest.NewRecorder()

	challenge := &jsonrpcerr.Challenge{
		ResourceMetadata: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
	}
	err := authresult.InvalidToken("token expired", fmt.Errorf("exp in the past"))
	jsonrpcerr.Write(rec, jsonrpcerr.RequestID(req, 0), err, challenge)

	fmt.Println(rec.Code)
	fmt.Println(rec.Header().Get("WWW-Authenticate"))
	fmt.Print(rec.Body.String())
	// Output:
	// 401
	// Bearer error="invalid_token", error_description="token expired", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
	// {"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"token expired","data":{"error":"invalid_token","error_description":"token expired","resource_metadata":"https://mcp.example.com/.well-known/oauth-protected-resource/mcp"}}}
}

func ExampleExtractID() {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":42,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":"a\u0062c","method":"ping"}`,
		`{"jsonrpc":"2.0","id":12345678901234567890,"method":"ping"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
	} {
		if id := jsonrpcerr.ExtractID([]byte(body)); id != nil {
			fmt.Printf("%s\n", id)
		} else {
			fmt.Println("null")
		}
	}
	// Output:
	// 42
	// "a\u0062c"
	// null
	// null
}
