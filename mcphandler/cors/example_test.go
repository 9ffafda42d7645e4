package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth/mcphandler"
	"github.com/mcpauth/mcpauth/mcphandler/cors"
)

// A page on https://app.example.com may call the MCP endpoint: its
// preflight is answered before authentication, from the guard's origins.
func ExampleNew() {
	server := http.NotFoundHandler() // your MCP server
	guard, err := mcphandler.New(server, &mcphandler.Options{AllowedOrigins: []string{"https://app.example.com"}})
	if err != nil {
		panic(err)
	}
	h := cors.New(guard, nil)(guard) // in a real server: cors.New(guard, nil)(auth.Handler(guard))

	r := httptest.NewRequest(http.MethodOptions, "/mcp", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type,mcp-protocol-version")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Access-Control-Allow-Origin"))
	// Output: 204 https://app.example.com
}
