package fetch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSameOriginRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "other") }))
	defer other.Close()
	self := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/cross":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "self")
		}
	}))
	defer self.Close()
	c := SameOriginRedirects(nil)

	resp, err := c.Get(self.URL + "/same")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "self", string(body), "same-origin redirects are followed")

	_, err = c.Get(self.URL + "/cross")
	assert.ErrorIs(t, err, ErrCrossOriginRedirect)
	_, err = c.Get(self.URL + "/loop")
	assert.ErrorContains(t, err, "too many redirects")

	own := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	assert.Same(t, own, SameOriginRedirects(own), "a client with its own redirect policy is kept")
	plain := &http.Client{}
	assert.NotSame(t, plain, SameOriginRedirects(plain), "the caller's client is not changed")
	assert.Nil(t, plain.CheckRedirect)
}
