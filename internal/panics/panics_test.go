package panics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mcpauth/mcpauth/authresult"
)

var errCause = errors.New("verifier panicked")

func recovered(f func() *authresult.Error) (e *authresult.Error, repanicked any) {
	defer func() { repanicked = recover() }()
	return f(), nil
}

func TestOnRequest(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	e, again := recovered(func() *authresult.Error {
		return OnRequest(context.Background(), log, "verifier", errCause, "boom")
	})
	assert.Nil(t, again)
	assert.Equal(t, authresult.KindInternal, e.Kind)
	assert.ErrorIs(t, e, errCause)
	assert.Equal(t, "internal error", e.ClientMessage(), "nothing of the panic reaches the client")
	assert.Contains(t, buf.String(), "mcpauth: verifier panicked")
	assert.Contains(t, buf.String(), "boom")
	assert.Contains(t, buf.String(), "panics_test.go", "with its stack")

	_, again = recovered(func() *authresult.Error {
		return OnRequest(context.Background(), log, "verifier", errCause, http.ErrAbortHandler)
	})
	assert.Equal(t, http.ErrAbortHandler, again, "net/http's abort goes on")
}

func TestInBackground(t *testing.T) {
	var buf bytes.Buffer
	e, again := recovered(func() *authresult.Error {
		return InBackground(context.Background(), slog.New(slog.NewTextHandler(&buf, nil)), "server", errCause, http.ErrAbortHandler)
	})
	assert.Nil(t, again, "never panics again off a request")
	assert.ErrorIs(t, e, errCause)
	assert.Contains(t, buf.String(), "mcpauth: server panicked")
}
