package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/noscites/citadel/backup/storage"
)

// ErrMismatch means stored bytes do not have the recorded size or SHA-256.
var ErrMismatch = errors.New("stored object does not match its record")

// Encoding says how one stored object was encoded.
type Encoding struct {
	Compressed bool
	Encrypted  bool
}

// Expect is what a stored object must be; zero values skip the check.
type Expect struct {
	Size   int64
	SHA256 string
}

// Reader decodes a stored object and, at EOF, checks the stored bytes
// against the expected size and SHA-256.
type Reader struct {
	where  string
	raw    io.ReadCloser
	in     *hashReader
	top    io.Reader
	zr     *zstd.Decoder
	expect Expect
	done   bool
}

type hashReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// Open gets key and stacks the decoding layers. ids may be nil when the
// object is not encrypted.
func Open(ctx context.Context, st storage.Storage, key string, enc Encoding, ids []age.Identity, expect Expect) (*Reader, error) {
	if enc.Encrypted && len(ids) == 0 {
		return nil, fmt.Errorf("read %s: %w", storage.Where(st, key), ErrNoIdentity)
	}
	raw, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	r := &Reader{where: storage.Where(st, key), raw: raw, in: &hashReader{r: raw, h: sha256.New()}, expect: expect}
	r.top = r.in
	if enc.Encrypted {
		dr, err := age.Decrypt(r.top, ids...)
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("decrypt %s: %w", r.where, err)
		}
		r.top = dr
	}
	if enc.Compressed {
		zr, err := zstd.NewReader(r.top, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("decompress %s: %w", r.where, err)
		}
		r.zr = zr
		r.top = zr
	}
	return r, nil
}

// Read returns plaintext. At the end of the plaintext it drains the stored
// bytes and returns ErrMismatch (naming the key) if they differ from the
// expectation.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.top.Read(p)
	if err == io.EOF && !r.done {
		r.done = true
		if cerr := r.check(); cerr != nil {
			return n, cerr
		}
	} else if err != nil && err != io.EOF {
		err = fmt.Errorf("decode %s: %w", r.where, err)
	}
	return n, err
}

func (r *Reader) check() error {
	if _, err := io.Copy(io.Discard, r.in); err != nil {
		return fmt.Errorf("read %s: %w", r.where, err)
	}
	if r.expect.Size > 0 && r.in.n != r.expect.Size {
		return fmt.Errorf("%s: %w: %d bytes stored, %d recorded", r.where, ErrMismatch, r.in.n, r.expect.Size)
	}
	if sum := hex.EncodeToString(r.in.h.Sum(nil)); r.expect.SHA256 != "" && sum != r.expect.SHA256 {
		return fmt.Errorf("%s: %w: SHA-256 %s, recorded %s", r.where, ErrMismatch, sum, r.expect.SHA256)
	}
	return nil
}

// Close releases the object and the decoder.
func (r *Reader) Close() error {
	if r.zr != nil {
		r.zr.Close()
	}
	return r.raw.Close()
}

// Check reads a stored object without decoding it and compares its size
// and SHA-256 with the expectation.
func Check(ctx context.Context, st storage.Storage, key string, expect Expect) error {
	r, err := Open(ctx, st, key, Encoding{}, nil, expect)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

// Digest returns the hex SHA-256 and size of a byte slice, as recorded for objects.
func Digest(b []byte) (string, int64) {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), int64(len(b))
}
