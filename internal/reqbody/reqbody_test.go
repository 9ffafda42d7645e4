package reqbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestPeek(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name     string
		body     string
		max      int64
		oneByte  bool
		noLength bool
		wantBody string
		complete bool
	}{
		{"small", `{"id":1}`, 100, false, false, `{"id":1}`, true},
		{"exactly max", "12345", 5, false, false, "12345", true},
		{"one over max", "123456", 5, false, false, "123456", false},
		{"far over max", long, 10, false, false, long[:11], false},
		{"large within max, unknown length", long, 1 << 20, false, true, long, true},
		{"one byte reads", long, 1 << 20, true, true, long, true},
		{"empty", "", 10, false, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rd io.Reader = strings.NewReader(tt.body)
			if tt.oneByte {
				rd = iotest.OneByteReader(rd)
			}
			orig := &closeTracker{Reader: rd}
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body = orig
			r.ContentLength = int64(len(tt.body))
			if tt.noLength {
				r.ContentLength = -1
			}
			got, complete, err := Peek(r, tt.max)
			require.NoError(t, err)
			assert.Equal(t, tt.complete, complete)
			assert.Equal(t, tt.wantBody, string(got))
			rest, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.body, string(rest), "next reader sees identical bytes")
			require.NoError(t, r.Body.Close())
			assert.True(t, orig.closed)
		})
	}
}

func TestPeekNoBody(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = http.NoBody
	b, complete, err := Peek(r, 10)
	assert.NoError(t, err)
	assert.True(t, complete)
	assert.Empty(t, b)
	assert.Equal(t, http.NoBody, r.Body)
}

func TestPeekError(t *testing.T) {
	boom := errors.New("reset")
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)))
	b, complete, err := Peek(r, 10)
	assert.ErrorIs(t, err, boom)
	assert.False(t, complete)
	assert.Equal(t, "abc", string(b))
	rest, err := io.ReadAll(r.Body)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "abc", string(rest))
}

// deadlineWriter records the read deadlines set through it.
type deadlineWriter struct {
	http.ResponseWriter
	set []time.Time
}

func (d *deadlineWriter) SetReadDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// wrapped is a middleware's response writer that unwraps to the real one.
type wrapped struct{ http.ResponseWriter }

func (w wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func TestPeekWithin(t *testing.T) {
	// A whole body: a deadline is set through the wrapper, then lifted.
	d := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("hello"))
	body, complete, err := PeekWithin(wrapped{d}, r, 64, time.Second)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Equal(t, "hello", string(body))
	require.Len(t, d.set, 2)
	assert.False(t, d.set[0].IsZero())
	assert.True(t, d.set[1].IsZero(), "lifted after a complete read")

	// A body over the cap: the deadline stays, for what the server still
	// reads of it.
	d.set = nil
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("hello world"))
	_, complete, err = PeekWithin(d, r, 4, time.Second)
	require.NoError(t, err)
	assert.False(t, complete)
	assert.Len(t, d.set, 1, "not lifted")

	// Reading on from there needs a deadline again; a body already wholly
	// in memory needs none; neither does a writer that cannot set one.
	d.set = nil
	_, complete, _ = PeekWithin(d, r, 64, time.Second)
	assert.True(t, complete)
	assert.Len(t, d.set, 2, "the rest came from the connection")
	d.set = nil
	_, _, _ = PeekWithin(d, r, 64, time.Second)
	assert.Empty(t, d.set, "all in memory")
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("hello"))
	body, complete, err = PeekWithin(httptest.NewRecorder(), r, 64, time.Second)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Equal(t, "hello", string(body))
}

// TestPeekDoesNotTrustContentLength: a declared length sizes the buffer
// only up to maxPrealloc; a client that declares 4 MiB and sends a byte
// costs no 4 MiB.
func TestPeekDoesNotTrustContentLength(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{"))
	r.ContentLength = 4 << 20
	body, _, err := Peek(r, 4<<20)
	require.NoError(t, err)
	assert.Equal(t, "{", string(body))
	assert.LessOrEqual(t, cap(body), maxPrealloc)

	long := strings.Repeat("x", 3*maxPrealloc)
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(long))
	body, complete, err := Peek(r, 4<<20)
	require.NoError(t, err)
	assert.True(t, complete)
	assert.Equal(t, long, string(body), "the buffer grows as bytes arrive")
}
