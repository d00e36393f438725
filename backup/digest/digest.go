// Package digest computes an order-independent content digest of a set of
// documents: the sum, modulo 2^256, of the SHA-256 of each document's BSON
// bytes. Two collections holding the same documents give the same digest
// whatever order they were read in, digests of parts merge by addition, and
// it needs no server-side support (FerretDB has no dbHash).
package digest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Algorithm names the digest in manifests.
const Algorithm = "sha256-sum-v1"

const prefix = "sum256:"

// Digest accumulates documents. The zero value is the digest of nothing.
type Digest struct {
	limbs [4]uint64 // little-endian limbs of a 256-bit sum
	n     int64
}

// Add adds one document (its raw BSON bytes).
func (d *Digest) Add(doc []byte) {
	h := sha256.Sum256(doc)
	var v [4]uint64
	for i := range 4 {
		v[3-i] = binary.BigEndian.Uint64(h[i*8:])
	}
	d.add(v)
	d.n++
}

func (d *Digest) add(v [4]uint64) {
	var carry uint64
	for i := range 4 {
		d.limbs[i], carry = bits.Add64(d.limbs[i], v[i], carry)
	}
}

// Merge adds every document of o.
func (d *Digest) Merge(o Digest) {
	d.add(o.limbs)
	d.n += o.n
}

// Count is the number of documents added.
func (d Digest) Count() int64 { return d.n }

// String is "sum256:" followed by 64 hex digits.
func (d Digest) String() string {
	var b [32]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(b[i*8:], d.limbs[3-i])
	}
	return prefix + hex.EncodeToString(b[:])
}

// ErrSyntax is returned by Parse for a malformed digest.
var ErrSyntax = errors.New("malformed content digest")

// Parse reads a digest written by String; the count is not part of it.
func Parse(s string) (Digest, error) {
	hexPart, ok := strings.CutPrefix(s, prefix)
	if !ok || len(hexPart) != 64 {
		return Digest{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	b, err := hex.DecodeString(hexPart)
	if err != nil {
		return Digest{}, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	var d Digest
	for i := range 4 {
		d.limbs[3-i] = binary.BigEndian.Uint64(b[i*8:])
	}
	return d, nil
}
