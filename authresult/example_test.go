package authresult_test

import (
	"errors"
	"fmt"

	"github.com/mcpauth/mcpauth/authresult"
)

// The soft failure that once created sessions for anyone: a truthy object
// saying "not authenticated". Normalize turns it into a typed 401 error.
func ExampleNormalize() {
	outcomes := []any{
		map[string]any{"authenticated": false, "error": "Invalid JWT"},
		authresult.Result{Authenticated: false},
		(*authresult.Principal)(nil),
		true,
		&authresult.Principal{Subject: "alice", Issuer: "https://idp.example"},
	}
	for _, v := range outcomes {
		p, err := authresult.Normalize(v, nil)
		if err != nil {
			e := authresult.As(err)
			fmt.Println(e.Status(), e.ClientMessage())
			continue
		}
		fmt.Println("authenticated:", p.Subject)
	}
	// Output:
	// 401 authentication required
	// 401 authentication required
	// 401 authentication required
	// 500 internal error
	// authenticated: alice
}

// Errors are classified by type, however deeply they are wrapped.
func ExampleError() {
	err := fmt.Errorf("verify: %w", authresult.InvalidToken("token expired", errors.New("exp 1700000000 < now")))
	fmt.Println(errors.Is(err, authresult.ErrUnauthenticated))
	e := authresult.As(err)
	fmt.Println(e.Status(), e.Code, e.ClientMessage())
	// Output:
	// true
	// 401 invalid_token token expired
}
