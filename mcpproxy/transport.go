package mcpproxy

import (
	"net/http"
	"time"
)

// DefaultMaxIdleConnsPerHost is how many idle connections to the upstream
// the proxy's own transport keeps. http.DefaultTransport keeps 2, so that
// a gateway under steady load at more than 2 concurrent requests opens
// and closes upstream connections all the time.
const DefaultMaxIdleConnsPerHost = 64

// NewTransport returns the transport a proxy uses when Options.Transport
// is nil: http.DefaultTransport's settings (proxy from the environment,
// dial and TLS handshake timeouts, HTTP/2 where the upstream offers it)
// with DefaultMaxIdleConnsPerHost idle connections kept per upstream, so
// that steady traffic at up to that many concurrent requests opens no new
// connection. Wrap it, for example with telemetry.Telemetry.Transport, to
// keep the pool.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4 * DefaultMaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	return t
}
