package jsonscan_test

import (
	"fmt"

	"github.com/mcpauth/mcpauth/internal/jsonscan"
)

func ExampleObject() {
	body := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call"}`)
	ok := jsonscan.Object(body, func(key, value []byte) {
		if jsonscan.KeyIs(key, "method") {
			s, _ := jsonscan.Unquote(value)
			fmt.Println("method", s)
		}
	})
	fmt.Println(ok, jsonscan.ValidID([]byte("7")), jsonscan.ValidID([]byte("1.5")))
	// Output:
	// method tools/call
	// true true false
}
