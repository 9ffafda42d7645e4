package evict_test

import (
	"fmt"

	"github.com/mcpauth/mcpauth/internal/evict"
)

func ExampleVictim() {
	lastSeen := map[string]int64{"a": 30, "b": 10, "c": 20}
	now := int64(35)
	victim, _ := evict.Victim(lastSeen, func(seen int64) (int64, bool) { return seen, now-seen > 60 })
	fmt.Println(victim)
	// Output: b
}
