package jwtverify

import (
	"context"
	"errors"
	"fmt"
)

var errNoUsableKey = errors.New("the key set has no key usable for verification")

// Ready reports whether the verifier can verify tokens now: nil once
// every JWK Set it was configured with (by URL or discovered from an
// issuer's metadata) has been loaded at least once and holds a key it can
// use (a set of only encryption keys, or of none, does not count), an error wrapping
// ErrKeysUnavailable before that, with each missing set and why it is
// missing. A set that loaded once keeps the verifier ready through later
// outages, since its keys are still used. Static keys are always ready;
// issuers matched by a template load their keys on first use and are not
// waited for. It never fetches: the verifier retries on its own, every
// JWKSOptions.MinRefreshInterval. Wire it to a readiness probe, such as
// package health's.
func (v *Verifier) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var missing []error
	for _, s := range v.sources {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return fmt.Errorf("%w: %w", ErrKeysUnavailable, errClosed)
		}
		switch set := s.set.Load(); {
		case set == nil:
			missing = append(missing, s.status())
		case len(set.all()) == 0:
			missing = append(missing, fmt.Errorf("%s: %w", s.name(), errNoUsableKey))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, errors.Join(missing...))
	}
	return nil
}
