package mcphandler

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/authresult"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandles(t *testing.T) {
	h, err := NewHandles(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	sealed, err := h.Seal(alice, "cart.42")
	require.NoError(t, err)
	got, err := h.Open(alice, sealed)
	require.NoError(t, err)
	assert.Equal(t, "cart.42", got)
	got, err = h.Open(aliceAgain, sealed)
	require.NoError(t, err, "a refreshed token still opens the handle")
	assert.Equal(t, "cart.42", got)

	other, err := NewHandles(bytes.Repeat([]byte{8}, 32))
	require.NoError(t, err)
	for name, try := range map[string]func() (string, error){
		"other user":         func() (string, error) { return h.Open(bob, sealed) },
		"same sub other iss": func() (string, error) { return h.Open(mallory, sealed) },
		"other secret":       func() (string, error) { return other.Open(alice, sealed) },
		"bare handle":        func() (string, error) { return h.Open(alice, "cart.42") },
		"no dot":             func() (string, error) { return h.Open(alice, "cart") },
		"tag swapped":        func() (string, error) { return h.Open(alice, "cart.43"+sealed[strings.LastIndexByte(sealed, '.'):]) },
		"tag truncated":      func() (string, error) { return h.Open(alice, sealed[:len(sealed)-2]) },
		"bad base64":         func() (string, error) { return h.Open(alice, "cart.42.!!!") },
		"empty":              func() (string, error) { return h.Open(alice, "") },
	} {
		got, err := try()
		assert.Empty(t, got, name)
		assert.ErrorIs(t, err, ErrUnknownHandle, name)
		assert.ErrorIs(t, err, authresult.ErrForbidden, name)
	}
	_, err = h.Seal(nil, "x")
	assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
	_, err = h.Open(&authresult.Principal{}, sealed)
	assert.ErrorIs(t, err, authresult.ErrUnauthenticated)
	_, err = NewHandles([]byte("short"))
	assert.ErrorIs(t, err, errConfig)

	assert.Equal(t, alice.BindingKey().String()+":cart", StorageKey(alice, "cart"))
	assert.NotEqual(t, StorageKey(alice, "cart"), StorageKey(bob, "cart"))
}

// Secrets for the rotation tests: old is rotated out, next rotated in, and
// stranger is configured nowhere.
var (
	oldSecret      = bytes.Repeat([]byte("old-"), 8)
	nextSecret     = bytes.Repeat([]byte("new-"), 8)
	strangerSecret = bytes.Repeat([]byte("zzz-"), 8)
)

// The configurations a replica goes through while the secret is rotated
// from old to new: NewHandles(rotation[name]...).
var rotation = map[string][][]byte{
	"old":     {oldSecret},
	"old,new": {oldSecret, nextSecret}, // step 1: seal with old, learn new
	"new,old": {nextSecret, oldSecret}, // step 2: seal with new, still open old
	"new":     {nextSecret},            // step 3: rotation ended
}

// replica returns a fresh Handles configured as rotation[config], as a
// replica started from that configuration would be.
func replica(t testing.TB, config string) *Handles {
	t.Helper()
	secrets, ok := rotation[config]
	require.True(t, ok, config)
	h, err := NewHandles(secrets[0], secrets[1:]...)
	require.NoError(t, err, config)
	return h
}

func TestHandlesRotation(t *testing.T) {
	for _, tc := range []struct {
		sealer, opener string
		opens          bool
	}{
		// Sealed with old.
		{"old", "old", true},
		{"old", "old,new", true},
		{"old", "new,old", true},
		{"old", "new", false}, // rotation ended: old handles are gone
		{"old,new", "old", true},
		{"old,new", "old,new", true},
		{"old,new", "new,old", true},
		{"old,new", "new", false},
		// Sealed with new.
		{"new,old", "new,old", true},
		{"new,old", "new", true},
		{"new,old", "old,new", true},
		{"new,old", "old", false}, // why step 1 exists: see TestHandlesRotationRollout
		{"new", "new", true},
		{"new", "new,old", true},
		{"new", "old,new", true},
		{"new", "old", false},
	} {
		t.Run(tc.sealer+" to "+tc.opener, func(t *testing.T) {
			// Two Handles values: the handle crosses replicas.
			sealer, opener := replica(t, tc.sealer), replica(t, tc.opener)
			sealed, err := sealer.Seal(alice, "cart.42")
			require.NoError(t, err)
			got, err := opener.Open(aliceAgain, sealed)
			if !tc.opens {
				assert.Empty(t, got)
				assert.Equal(t, unknownHandle(), err, "a refusal like every other")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "cart.42", got)
			_, err = opener.Open(bob, sealed)
			assert.Equal(t, unknownHandle(), err, "another principal, under rotation")
		})
	}
}

// TestHandlesReplicasAgree shows that replicas with one configuration are
// interchangeable: they seal a handle identically and each opens the
// other's, and the secret that seals decides the tag, not the ones only
// accepted.
func TestHandlesReplicasAgree(t *testing.T) {
	for config := range rotation {
		a, b := replica(t, config), replica(t, config)
		sa, err := a.Seal(alice, "cart.42")
		require.NoError(t, err)
		sb, err := b.Seal(alice, "cart.42")
		require.NoError(t, err)
		assert.Equal(t, sa, sb, config)
		for _, c := range []struct {
			h      *Handles
			sealed string
		}{{a, sb}, {b, sa}} {
			got, err := c.h.Open(alice, c.sealed)
			require.NoError(t, err, config)
			assert.Equal(t, "cart.42", got, config)
		}
	}
	seal := func(config string) string {
		s, err := replica(t, config).Seal(alice, "cart.42")
		require.NoError(t, err)
		return s
	}
	assert.Equal(t, seal("old"), seal("old,new"))
	assert.Equal(t, seal("new"), seal("new,old"))
	assert.NotEqual(t, seal("old"), seal("new"))
}

// TestHandlesRotationRollout restarts a fleet of three replicas one at a
// time through the steps NewHandles documents. Every replica, in every
// mixed state of the fleet, seals a handle, and every handle still in use
// must open on every replica; handles sealed with old are given up only
// before step 3, and are refused everywhere once it is done. Skipping
// step 1 refuses handles in the mixed fleet.
func TestHandlesRotationRollout(t *testing.T) {
	type live struct {
		sealed    string
		withOld   bool
		sealedBy  string
		fleetWhen []string
	}
	rollout := func(t *testing.T, steps []string) (refused int) {
		fleet := []string{"old", "old", "old"}
		var handles []live
		check := func() {
			hs := make([]*Handles, len(fleet))
			for i, c := range fleet {
				hs[i] = replica(t, c)
			}
			for i, h := range hs {
				sealed, err := h.Seal(alice, fmt.Sprintf("h%d", len(handles)))
				require.NoError(t, err)
				withOld := bytes.Equal(rotation[fleet[i]][0], oldSecret)
				handles = append(handles, live{sealed, withOld, fleet[i], slices.Clone(fleet)})
			}
			for _, l := range handles {
				for i, h := range hs {
					if _, err := h.Open(alice, l.sealed); err != nil {
						refused++
						t.Logf("fleet %v: replica %d (%s) refuses %s sealed by %s in fleet %v",
							fleet, i, fleet[i], l.sealed, l.sealedBy, l.fleetWhen)
					}
				}
			}
		}
		check()
		for _, step := range steps {
			if step == "new" { // step 3: old handles are no longer in use
				kept := handles[:0]
				for _, l := range handles {
					if !l.withOld {
						kept = append(kept, l)
					}
				}
				handles = kept
			}
			for i := range fleet {
				fleet[i] = step
				check()
			}
		}
		for _, l := range handles {
			assert.False(t, l.withOld)
		}
		return refused
	}

	t.Run("three steps", func(t *testing.T) {
		assert.Zero(t, rollout(t, []string{"old,new", "new,old", "new"}))
		oldSealed, err := replica(t, "old").Seal(alice, "cart.42")
		require.NoError(t, err)
		for range 3 {
			_, err := replica(t, "new").Open(alice, oldSealed)
			assert.Equal(t, unknownHandle(), err, "rotation ended")
		}
	})
	t.Run("step 1 skipped", func(t *testing.T) {
		assert.NotZero(t, rollout(t, []string{"new,old", "new"}),
			"a replica still on old refuses what replicas on new,old seal")
	})
}

// TestHandlesRotationRefusals tries forged, truncated, spliced and foreign
// handles on a replica in the middle of a rotation: each is refused with
// the very error every other refusal gets.
func TestHandlesRotationRefusals(t *testing.T) {
	h := replica(t, "new,old")
	tagOf := func(secret []byte, p *authresult.Principal, handle string) []byte {
		return mac(secret, p.BindingKey(), handle)
	}
	fullMAC := func(secret []byte, handle string) []byte {
		m := hmac.New(sha256.New, secret)
		k := alice.BindingKey()
		m.Write(k[:])
		m.Write([]byte(handle))
		return m.Sum(nil)
	}
	with := func(handle string, tag []byte) string { return handle + "." + b64.EncodeToString(tag) }
	xor := func(a, b []byte) []byte {
		out := make([]byte, len(a))
		for i := range a {
			out[i] = a[i] ^ b[i]
		}
		return out
	}
	oldTag, newTag := tagOf(oldSecret, alice, "cart.42"), tagOf(nextSecret, alice, "cart.42")
	// The genuine handles open: the refusals below are not for want of a
	// working configuration.
	for _, tag := range [][]byte{oldTag, newTag} {
		got, err := h.Open(alice, with("cart.42", tag))
		require.NoError(t, err)
		require.Equal(t, "cart.42", got)
	}

	for _, tc := range []struct {
		name   string
		p      *authresult.Principal
		sealed string
	}{
		{"other user, old tag", bob, with("cart.42", oldTag)},
		{"other user, new tag", bob, with("cart.42", newTag)},
		{"same sub other iss, old tag", mallory, with("cart.42", oldTag)},
		{"same sub other iss, new tag", mallory, with("cart.42", newTag)},
		{"sealed with a secret configured nowhere", alice, with("cart.42", tagOf(strangerSecret, alice, "cart.42"))},
		{"other handle, old tag", alice, with("cart.43", oldTag)},
		{"other handle, new tag", alice, with("cart.43", newTag)},
		{"old tag truncated to 8 bytes", alice, with("cart.42", oldTag[:8])},
		{"new tag truncated to 15 bytes", alice, with("cart.42", newTag[:15])},
		{"old tag, text cut", alice, with("cart.42", oldTag)[:len(with("cart.42", oldTag))-2]},
		{"untruncated HMAC with old", alice, with("cart.42", fullMAC(oldSecret, "cart.42"))},
		{"untruncated HMAC with new", alice, with("cart.42", fullMAC(nextSecret, "cart.42"))},
		{"old and new tags concatenated", alice, with("cart.42", append(append([]byte(nil), oldTag...), newTag...))},
		{"old and new tags xored", alice, with("cart.42", xor(oldTag, newTag))},
		{"half old, half new", alice, with("cart.42", append(append([]byte(nil), oldTag[:8]...), newTag[8:]...))},
		{"tag of the sealed string", alice, with("cart.42", tagOf(nextSecret, alice, with("cart.42", oldTag)))},
		{"zero tag", alice, with("cart.42", make([]byte, macLen))},
		{"empty tag", alice, "cart.42."},
		{"tag alone", alice, "." + b64.EncodeToString(oldTag)},
		{"no dot", alice, "cart42"},
		{"bad base64", alice, "cart.42.!!!"},
		{"padded base64", alice, "cart.42." + base64.URLEncoding.EncodeToString(oldTag)},
		{"empty", alice, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := h.Open(tc.p, tc.sealed)
			assert.Empty(t, got)
			assert.Equal(t, unknownHandle(), err)
			assert.ErrorIs(t, err, ErrUnknownHandle)
			assert.ErrorIs(t, err, authresult.ErrForbidden)
		})
	}
}

func TestNewHandlesConfig(t *testing.T) {
	long := bytes.Repeat([]byte("long-secret-"), 9) // 108 bytes, over SHA-256's block
	longSum := sha256.Sum256(long)
	secrets := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = bytes.Repeat([]byte{byte('a' + i)}, 32)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		secret   []byte
		accepted [][]byte
		wantErr  string // "" for none
	}{
		{"one secret", oldSecret, nil, ""},
		{"rotating", nextSecret, [][]byte{oldSecret}, ""},
		{"four accepted", nextSecret, secrets(4), ""},
		{"exactly 32 bytes", bytes.Repeat([]byte{1}, 32), [][]byte{bytes.Repeat([]byte{2}, 32)}, ""},
		{"long secrets", long, [][]byte{oldSecret}, ""},
		{"five accepted", nextSecret, secrets(5), "at most 4"},
		{"nil secret", nil, nil, "the handle secret must be at least 32 bytes"},
		{"short secret", bytes.Repeat([]byte{1}, 31), nil, "the handle secret must be at least 32 bytes"},
		{"short secret, long accepted", bytes.Repeat([]byte{1}, 31), [][]byte{oldSecret}, "the handle secret must be"},
		{"short accepted", nextSecret, [][]byte{oldSecret, []byte("short")}, "accepted handle secret 2 must be at least 32 bytes"},
		{"nil accepted", nextSecret, [][]byte{nil}, "accepted handle secret 1 must be"},
		{"secret accepted again", nextSecret, [][]byte{bytes.Clone(nextSecret)}, "accepted handle secret 1 repeats the handle secret"},
		{"accepted twice", nextSecret, [][]byte{oldSecret, strangerSecret, bytes.Clone(oldSecret)}, "accepted handle secret 3 repeats accepted handle secret 1"},
		{"same HMAC key: zero byte appended", oldSecret, [][]byte{append(bytes.Clone(oldSecret), 0)}, "repeats the handle secret"},
		{"same HMAC key: long key and its hash", long, [][]byte{longSum[:]}, "repeats the handle secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHandles(tc.secret, tc.accepted...)
			if tc.wantErr == "" {
				require.NoError(t, err)
				sealed, err := h.Seal(alice, "x")
				require.NoError(t, err)
				_, err = h.Open(alice, sealed)
				require.NoError(t, err)
				return
			}
			assert.Nil(t, h)
			assert.ErrorIs(t, err, errConfig)
			assert.ErrorContains(t, err, tc.wantErr)
			for _, s := range append([][]byte{tc.secret}, tc.accepted...) {
				if len(s) > 0 {
					assert.NotContains(t, err.Error(), string(s), "errors do not print secrets")
				}
			}
		})
	}

	// The keys refused as repeats are repeats indeed: HMAC-SHA256 makes
	// the same tags with them.
	assert.Equal(t, mac(oldSecret, alice.BindingKey(), "x"), mac(append(bytes.Clone(oldSecret), 0), alice.BindingKey(), "x"))
	assert.Equal(t, mac(long, alice.BindingKey(), "x"), mac(longSum[:], alice.BindingKey(), "x"))
	assert.NotEqual(t, mac(oldSecret, alice.BindingKey(), "x"), mac(append(bytes.Clone(oldSecret), 1), alice.BindingKey(), "x"))
}

// TestHandlesOneSpelling changes the last character of sealed handles: 22
// base64 characters hold 132 bits for a 128-bit tag, and a lenient decoder
// would open 16 spellings of each handle. Only the one Seal wrote opens.
func TestHandlesOneSpelling(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, config := range []string{"old", "new,old"} {
		h := replica(t, config)
		for _, handle := range []string{"cart.42", "", "a.b.c"} {
			sealed, err := h.Seal(alice, handle)
			require.NoError(t, err)
			opened := 0
			for _, c := range alphabet {
				spelling := sealed[:len(sealed)-1] + string(c)
				got, err := h.Open(alice, spelling)
				if spelling == sealed {
					require.NoError(t, err)
					assert.Equal(t, handle, got)
					opened++
					continue
				}
				assert.Equal(t, unknownHandle(), err, spelling)
			}
			assert.Equal(t, 1, opened, config)
		}
	}
}

// TestNewHandlesCopiesSecrets overwrites the caller's secrets after
// NewHandles: the Handles seals and opens as before.
func TestNewHandlesCopiesSecrets(t *testing.T) {
	secret, old := bytes.Clone(nextSecret), bytes.Clone(oldSecret)
	h, err := NewHandles(secret, old)
	require.NoError(t, err)
	byOld, err := replica(t, "old").Seal(alice, "cart.42")
	require.NoError(t, err)
	want, err := h.Seal(alice, "cart.42")
	require.NoError(t, err)
	clear(secret)
	clear(old)
	got, err := h.Seal(alice, "cart.42")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	for _, s := range []string{want, byOld} {
		_, err = h.Open(alice, s)
		assert.NoError(t, err)
	}
}

func BenchmarkHandlesOpen(b *testing.B) {
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			all := make([][]byte, n)
			for i := range all {
				all[i] = bytes.Repeat([]byte{byte(i + 1)}, 32)
			}
			h, err := NewHandles(all[0], all[1:]...)
			require.NoError(b, err)
			// Sealed with the last secret Open tries, and a forgery.
			last, err := NewHandles(all[n-1])
			require.NoError(b, err)
			sealed, err := last.Seal(alice, "cart.42")
			require.NoError(b, err)
			b.Run("opens", func(b *testing.B) {
				for b.Loop() {
					if _, err := h.Open(alice, sealed); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("refused", func(b *testing.B) {
				for b.Loop() {
					if _, err := h.Open(bob, sealed); err == nil {
						b.Fatal("opened")
					}
				}
			})
		})
	}
}
