package jwtverify

import (
	"strings"
	"sync"
)

// maxCachedHeaders bounds the header cache. Real deployments see a few
// distinct headers (one per signing key); when an attacker fills the cache
// with others it is simply emptied.
const maxCachedHeaders = 256

// headerCache remembers decoded protected headers that passed the checks of
// decodeHeader, keyed by their encoded segment. Tokens of one issuer and
// key share a header, so the cold path skips its JSON decoding. Entries
// are immutable.
type headerCache struct {
	mu sync.RWMutex
	m  map[string]*header
}

// decode returns the checked header for seg, decoding it on a miss. Only
// headers that pass every check are remembered.
func (c *headerCache) decode(seg string, buf []byte) (*header, error) {
	c.mu.RLock()
	h := c.m[seg]
	c.mu.RUnlock()
	if h != nil {
		return h, nil
	}
	h, err := decodeHeader(seg, buf)
	if err != nil {
		return h, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedHeaders {
		c.m = make(map[string]*header)
	}
	c.m[strings.Clone(seg)] = h
	c.mu.Unlock()
	return h, nil
}
