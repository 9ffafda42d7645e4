package mcphandler

import (
	"sync"
	"sync/atomic"
)

// maxCached bounds each boundedMap.
const maxCached = 4096

// boundedMap is a concurrent map of at most maxCached entries that is
// emptied when full: a cache of values that can be computed again or
// forgotten.
type boundedMap[K comparable, V any] struct {
	m sync.Map // K -> V
	n atomic.Int64
}

func (c *boundedMap[K, V]) get(k K) (V, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (c *boundedMap[K, V]) put(k K, v V) {
	if c.n.Add(1) > maxCached {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(k, v)
}
