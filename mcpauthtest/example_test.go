package mcpauthtest_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/mcpauth/mcpauth/mcpauthtest"
)

// Auditing a server that accepts anyone: the checks report what it gets
// wrong. In a test, mcpauthtest.Run(t, target) runs each as a subtest.
func Example() {
	open := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}`))
	})
	results, err := mcpauthtest.Check(context.Background(), mcpauthtest.Target{Handler: open, Token: "any"})
	if err != nil {
		panic(err)
	}
	for _, r := range results[:4] {
		fmt.Println(r.Verdict, r.Name)
	}
	fmt.Println("failed:", mcpauthtest.Failed(results))
	// Output:
	// PASS valid-token/works
	// FAIL no-token/challenge
	// FAIL no-token/metadata
	// FAIL bad-token/invalid
	// failed: true
}
