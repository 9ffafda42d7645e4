package fetch

import (
	"errors"
	"io"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedact(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://as.example/token?access_token=secret", Err: io.ErrUnexpectedEOF}
	got := Redact(err)
	assert.Equal(t, "Post: unexpected EOF", got.Error())
	assert.ErrorIs(t, got, io.ErrUnexpectedEOF, "the cause stays")
	other := errors.New("plain")
	assert.Same(t, other, Redact(other))
	assert.Nil(t, Redact(nil))
}
