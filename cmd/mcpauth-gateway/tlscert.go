package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certificate serves a certificate from files and reloads it when either
// file changes, checking at most once a second. A pair that does not load
// is logged and the one before it kept.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // of the files loaded
	checked time.Time
}

func newCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	c.cert, c.stamp, c.checked = &cert, c.fileStamp(), time.Now()
	return c, nil
}

// fileStamp identifies the files' versions by size and modification time.
func (c *certificate) fileStamp() string {
	var s string
	for _, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "missing"
		}
		s += fmt.Sprintf("%d/%d;", fi.ModTime().UnixNano(), fi.Size())
	}
	return s
}

// GetCertificate is tls.Config.GetCertificate.
func (c *certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= time.Second {
		c.checked = now
		if stamp := c.fileStamp(); stamp != c.stamp {
			cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
			if err != nil {
				// Often a half-written pair: try again at the next check.
				c.log.Error("mcpauth-gateway: the new TLS certificate does not load; serving the previous one", slog.Any("error", err))
			} else {
				c.cert, c.stamp = &cert, stamp
				c.log.Info("mcpauth-gateway: TLS certificate reloaded", slog.String("cert_file", c.certFile))
			}
		}
	}
	return c.cert, nil
}
