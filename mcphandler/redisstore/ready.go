package redisstore

import (
	"context"
	"fmt"
)

// Ready reports whether Redis answers a PING within Options.Timeout, for a
// readiness probe (such as package health's): while it does not, every
// request that needs a binding is refused with 503.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}
