package reqbody_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth/internal/reqbody"
)

func ExamplePeek() {
	r := httptest.NewRequest("POST", "/mcp", strings.NewReader(`{"id":1,"method":"ping"}`))
	head, complete, err := reqbody.Peek(r, 8)
	fmt.Printf("%q %v %v\n", head, complete, err)
	rest, _ := io.ReadAll(r.Body) // the next reader sees the whole body
	fmt.Printf("%s\n", rest)
	// Output:
	// "{\"id\":1,\"" false <nil>
	// {"id":1,"method":"ping"}
}
