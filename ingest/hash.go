package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ContentHash is the hash stored in a document's _h field: the first 16
// bytes of SHA-256 over the BSON encoding of its body, in hex.
func ContentHash(body bson.D) (string, error) {
	b, err := bson.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("encode document: %w", err)
	}
	return hashBytes(b), nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// KeyHash is a deterministic _id for composite natural keys: 24 hex
// characters of SHA-256 over the parts separated by NUL.
func KeyHash(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func itoa(i int) string { return strconv.Itoa(i) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
