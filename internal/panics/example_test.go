package panics_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/mcpauth/mcpauth/internal/panics"
)

var errPanic = errors.New("verifier panicked")

func verify(f func()) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = panics.OnRequest(context.Background(), slog.New(slog.DiscardHandler), "verifier", errPanic, rec)
		}
	}()
	f()
	return nil
}

func ExampleOnRequest() {
	err := verify(func() { panic("nil map") })
	e := authresult.As(err)
	fmt.Println(e.Status(), e.ClientMessage(), errors.Is(err, errPanic))
	// Output: 500 internal error true
}
