package decision

import (
	"crypto/sha256"
	"encoding/hex"
)

// HashSession returns what decisions report of a session id: the first
// 16 bytes of its SHA-256, in hex, or "" for "". It identifies the session
// across records and replicas without being usable as the id.
func HashSession(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}
