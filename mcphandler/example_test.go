package mcphandler_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/mcphandler"
)

// An upstream MCP server that, like the servers of the original bug,
// serves anyone who reaches it. The guard makes sure only the right
// principal does.
func Example() {
	mcpServer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"initialize"`) {
			w.Header().Set("Mcp-Session-Id", "s-1")
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	})
	guard, err := mcphandler.New(mcpServer, &mcphandler.Options{
		Policy: &mcphandler.Policy{Tools: map[string][]string{"echo": nil, "reset": {"admin"}}},
	})
	if err != nil {
		panic(err)
	}

	alice := &authresult.Principal{Subject: "alice", Issuer: "https://idp.example"}
	bob := &authresult.Principal{Subject: "bob", Issuer: "https://idp.example"}
	send := func(p *authresult.Principal, sid, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if sid != "" {
			r.Header.Set("Mcp-Session-Id", sid)
		}
		if p != nil { // in a server, middleware.Authenticator.Handler does this
			r = r.WithContext(authresult.NewContext(r.Context(), p))
		}
		w := httptest.NewRecorder()
		guard.ServeHTTP(w, r)
		return w
	}

	w := send(nil, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	fmt.Println("no principal:", w.Code)
	w = send(alice, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	fmt.Println("alice initializes:", w.Code, w.Header().Get("Mcp-Session-Id"))
	w = send(bob, "s-1", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}`)
	fmt.Println("bob in alice's session:", w.Code)
	w = send(alice, "s-1", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"reset"}}`)
	fmt.Println("alice calls reset:", w.Code, w.Header().Get("WWW-Authenticate"))
	w = send(alice, "s-1", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}`)
	fmt.Println("alice calls echo:", w.Code)
	// Output:
	// no principal: 401
	// alice initializes: 200 s-1
	// bob in alice's session: 404
	// alice calls reset: 403 Bearer error="insufficient_scope", error_description="insufficient scope", scope="admin"
	// alice calls echo: 200
}
