// Package reqbody reads the start of a request body without consuming it.
package reqbody

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"time"
)

// Peek reads up to max+1 bytes of r's body and replaces r.Body so that the
// next reader sees the identical bytes: the ones read, then the unread rest,
// or the read error that stopped Peek. complete reports that the whole body
// was read and is at most max bytes long (max < 0 counts as 0); body is then all of it. A request
// without a body is complete and empty. The original body's Close is kept.
func Peek(r *http.Request, max int64) (body []byte, complete bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	if max < 0 {
		max = 0
	}
	body, complete, err = read(r.Body, max, r.ContentLength)
	rb := &replay{err: err, Closer: r.Body}
	rb.prefix.Reset(body)
	if !complete && err == nil {
		rb.rest = r.Body
	}
	r.Body = rb
	return body, complete, err
}

// maxPrealloc bounds the buffer allocated before any byte has arrived: a
// declared Content-Length is a claim, and a client that declares 4 MiB
// and sends nothing must not cost 4 MiB.
const maxPrealloc = 32 << 10

// read reads up to max+1 bytes of r, sizing its buffer from hint (the
// request's Content-Length) when that is within max, up to maxPrealloc;
// the buffer grows as bytes arrive.
func read(r io.Reader, max, hint int64) (buf []byte, complete bool, err error) {
	size := int64(512)
	if hint > 0 && hint <= max {
		size = min(hint+1, maxPrealloc) // +1 sees EOF without growing
	}
	buf = make([]byte, 0, min(size, max+1))
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), max+1-int64(cap(buf)))))
		}
		n, rerr := r.Read(buf[len(buf):min(int64(cap(buf)), max+1)])
		buf = buf[:len(buf)+n]
		switch {
		case int64(len(buf)) > max:
			return buf, false, nil
		case rerr == io.EOF:
			return buf, true, nil
		case rerr != nil:
			return buf, false, rerr
		}
	}
}

// replay yields the bytes already read, then the unread rest of the
// original body or the error that stopped the first read.
type replay struct {
	prefix bytes.Reader
	rest   io.Reader // nil when prefix holds all there is
	err    error
	io.Closer
}

func (b *replay) Read(p []byte) (int, error) {
	switch {
	case b.prefix.Len() > 0:
		return b.prefix.Read(p)
	case b.err != nil:
		return 0, b.err
	case b.rest != nil:
		return b.rest.Read(p)
	}
	return 0, io.EOF
}

// PeekWithin is [Peek] with the read bounded by time as well as size: when
// timeout is positive and w supports read deadlines (through
// [http.ResponseController]), reading stops timeout from now with an
// error that matches [os.ErrDeadlineExceeded]. The deadline is lifted when
// the whole body was read; otherwise it stays, so that whatever the
// server still reads of this body after the handler (net/http drains up
// to 256 KiB of an unread body) is bounded by it too.
func PeekWithin(w http.ResponseWriter, r *http.Request, max int64, timeout time.Duration) (body []byte, complete bool, err error) {
	if timeout <= 0 || w == nil || r.Body == nil || r.Body == http.NoBody {
		return Peek(r, max)
	}
	if rb, ok := r.Body.(*replay); ok && rb.rest == nil {
		return Peek(r, max) // all of it is in memory already
	}
	d := deadliner(w)
	if d == nil || d.SetReadDeadline(time.Now().Add(timeout)) != nil {
		return Peek(r, max)
	}
	body, complete, err = Peek(r, max)
	if complete && err == nil {
		_ = d.SetReadDeadline(time.Time{})
	}
	return body, complete, err
}

// readDeadliner is what http.ResponseController uses to set read
// deadlines.
type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// deadliner finds the writer that can set read deadlines, unwrapping
// middleware writers as http.ResponseController does, or nil; unlike the
// controller it costs no allocation when there is none.
func deadliner(w http.ResponseWriter) readDeadliner {
	for {
		switch t := w.(type) {
		case readDeadliner:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}
