package fetch_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth/internal/fetch"
)

func ExampleSameOriginRedirects() {
	c := fetch.SameOriginRedirects(&http.Client{Timeout: 5 * time.Second})
	fmt.Println(c.CheckRedirect != nil, c.Timeout)
	// Output: true 5s
}
