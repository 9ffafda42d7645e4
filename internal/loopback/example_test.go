package loopback_test

import (
	"fmt"

	"github.com/mcpauth/mcpauth/internal/loopback"
)

func ExampleHost() {
	fmt.Println(loopback.Host("127.0.0.1"), loopback.Host("[::1]"), loopback.Host("example.com"))
	fmt.Println(loopback.HostPort("localhost:8080"))
	// Output:
	// true true false
	// true
}
