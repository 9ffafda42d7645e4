package mcphandler

import "sync"

// maxCached bounds each boundedMap.
const maxCached = 4096

// boundedMap is a concurrent map of at most maxCached entries that is
// emptied when full: a cache of values that can be computed again or
// forgotten. Reads share a lock and do not box their keys.
type boundedMap[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

func (c *boundedMap[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *boundedMap[K, V]) put(k K, v V) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// len returns the number of entries.
func (c *boundedMap[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
