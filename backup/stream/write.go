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

// Stats describe one written object.
type Stats struct {
	RawBytes    int64  // plaintext bytes written by the producer
	StoredBytes int64  // bytes stored (after compression and encryption)
	SHA256      string // hex SHA-256 of the stored bytes
}

// counter counts and hashes the bytes passing through it.
type counter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Writer encodes plaintext into the layers of a codec.
type Writer struct {
	raw     int64
	top     io.Writer
	closers []io.Closer // innermost first: zstd, then age
	out     *counter
}

// NewWriter stacks the codec's layers over dst.
func NewWriter(dst io.Writer, c Codec, compressible bool) (*Writer, error) {
	w := &Writer{out: &counter{w: dst, h: sha256.New()}}
	var cur io.Writer = w.out
	if c.Encrypted() {
		aw, err := age.Encrypt(cur, c.Recipients...)
		if err != nil {
			return nil, fmt.Errorf("start age encryption: %w", err)
		}
		w.closers = append([]io.Closer{aw}, w.closers...)
		cur = aw
	}
	if compressible && c.Compressed() {
		zw, err := zstd.NewWriter(cur, zstd.WithEncoderLevel(c.zstdLevel()), zstd.WithEncoderConcurrency(max(1, c.Threads)))
		if err != nil {
			return nil, fmt.Errorf("start zstd: %w", err)
		}
		w.closers = append([]io.Closer{zw}, w.closers...)
		cur = zw
	}
	w.top = cur
	return w, nil
}

func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.top.Write(p)
	w.raw += int64(n)
	return n, err
}

// Close flushes every layer, innermost first.
func (w *Writer) Close() error {
	for _, c := range w.closers {
		if err := c.Close(); err != nil {
			return fmt.Errorf("finish object encoding: %w", err)
		}
	}
	return nil
}

// Stats are final after Close.
func (w *Writer) Stats() Stats {
	return Stats{RawBytes: w.raw, StoredBytes: w.out.n, SHA256: hex.EncodeToString(w.out.h.Sum(nil))}
}

// Upload streams what fill writes, encoded with the codec, into key. The
// object appears only if fill and the upload both succeed.
func Upload(ctx context.Context, st storage.Storage, key string, c Codec, compressible bool, opts storage.PutOptions, fill func(io.Writer) error) (Stats, error) {
	pr, pw := io.Pipe()
	putErr := make(chan error, 1)
	go func() {
		_, err := st.Put(ctx, key, pr, opts)
		pr.CloseWithError(err) // unblock the producer if the put ended early
		putErr <- err
	}()
	w, err := NewWriter(pw, c, compressible)
	if err == nil {
		err = fill(w)
		if err == nil {
			err = w.Close()
		}
	}
	if err != nil {
		pw.CloseWithError(err) // the put fails with err: nothing is stored
		if perr := <-putErr; errors.Is(err, io.ErrClosedPipe) && perr != nil {
			err = perr
		}
		return Stats{}, fmt.Errorf("write %s: %w", storage.Where(st, key), err)
	}
	pw.Close()
	if err := <-putErr; err != nil {
		return Stats{}, err
	}
	return w.Stats(), nil
}
