// Package evict chooses which entry of a full map to drop without keeping
// an order of its entries: an expired one if the sample holds one, else
// the oldest of a small random sample (Go map iteration starts at a random
// place). It is the one eviction rule of the session store and the token
// cache.
package evict

// Sample is how many entries a choice looks at.
const Sample = 16

// Victim returns the key to drop from m: the first sampled entry for which
// age reports expired, else the sampled entry of the least age. ok is
// false for an empty map.
func Victim[K comparable, V any](m map[K]V, age func(V) (rank int64, expired bool)) (victim K, ok bool) {
	var least int64
	n := 0
	for k, v := range m {
		rank, expired := age(v)
		if expired {
			return k, true
		}
		if n == 0 || rank < least {
			victim, least = k, rank
		}
		if n++; n >= Sample {
			break
		}
	}
	return victim, n > 0
}
