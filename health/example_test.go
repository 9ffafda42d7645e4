package health_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth/health"
)

func Example() {
	storeUp := false
	h, err := health.Handler(&health.Options{Checks: []health.Check{
		{Name: "keys", Ready: func(context.Context) error { return nil }},
		{Name: "store", Ready: func(context.Context) error {
			if !storeUp {
				return errors.New("redis: connection refused")
			}
			return nil
		}},
	}})
	if err != nil {
		panic(err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Print(path, " ", rec.Code, " ", rec.Body.String())
	}
	// Output:
	// /healthz 200 ok
	// /readyz 503 store
}
