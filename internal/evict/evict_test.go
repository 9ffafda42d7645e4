package evict

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVictim(t *testing.T) {
	_, ok := Victim(map[string]int64{}, func(v int64) (int64, bool) { return v, false })
	assert.False(t, ok, "nothing to evict")

	small := map[string]int64{"a": 3, "b": 1, "c": 2}
	k, ok := Victim(small, func(v int64) (int64, bool) { return v, false })
	assert.True(t, ok)
	assert.Equal(t, "b", k, "the least rank of a map no larger than the sample")

	k, _ = Victim(small, func(v int64) (int64, bool) { return v, v == 3 })
	assert.Equal(t, "a", k, "an expired entry wins")

	// Past the sample, the choice is among Sample entries: over many
	// draws it is never the newest and is the oldest only sometimes.
	big := map[int]int64{}
	for i := range 1000 {
		big[i] = int64(i)
	}
	oldest := 0
	for range 200 {
		k, _ := Victim(big, func(v int64) (int64, bool) { return v, false })
		assert.NotEqual(t, 999, k)
		if k == 0 {
			oldest++
		}
	}
	assert.Less(t, oldest, 200, "a sample, not a scan")
}
