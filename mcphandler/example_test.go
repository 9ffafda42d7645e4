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

// Rotating the secret of state handles across replicas, in the three steps
// NewHandles describes. Each replica reads its secrets from configuration;
// here two replicas go through each step together.
func ExampleNewHandles_rotation() {
	old := []byte("the old secret, 32 random bytes!")
	next := []byte("the new secret, 32 random bytes!")
	alice := &authresult.Principal{Subject: "alice", Issuer: "https://idp.example"}

	replicas := func(secret []byte, accepted ...[]byte) (a, b *mcphandler.Handles) {
		a, err := mcphandler.NewHandles(secret, accepted...)
		if err != nil {
			panic(err)
		}
		b, err = mcphandler.NewHandles(secret, accepted...)
		if err != nil {
			panic(err)
		}
		return a, b
	}
	opens := func(h *mcphandler.Handles, sealed string) bool {
		_, err := h.Open(alice, sealed)
		return err == nil
	}

	a, _ := replicas(old)
	sealedWithOld, _ := a.Seal(alice, "cart-42")

	_, b := replicas(old, next) // 1. still sealing with old, learning next
	fmt.Println("step 1, old handle:", opens(b, sealedWithOld))

	a, b = replicas(next, old) // 2. sealing with next, still opening old
	sealedWithNext, _ := a.Seal(alice, "cart-42")
	fmt.Println("step 2, old handle:", opens(b, sealedWithOld))
	fmt.Println("step 2, new handle:", opens(b, sealedWithNext))

	_, b = replicas(next) // 3. old handles no longer in use
	fmt.Println("step 3, old handle:", opens(b, sealedWithOld))
	fmt.Println("step 3, new handle:", opens(b, sealedWithNext))
	_, err := mcphandler.NewHandles(next, next)
	fmt.Println(err)
	// Output:
	// step 1, old handle: true
	// step 2, old handle: true
	// step 2, new handle: true
	// step 3, old handle: false
	// step 3, new handle: true
	// mcphandler: invalid options: accepted handle secret 1 repeats the handle secret
}
