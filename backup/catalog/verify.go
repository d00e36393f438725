package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/sync/errgroup"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
	"github.com/noscites/citadel/internal/fault"
)

// VerifyOptions tune a verification.
type VerifyOptions struct {
	// ReadData decrypts, decompresses and decodes every document and
	// recomputes counts and digests.
	ReadData bool
	// Identities decrypt encrypted backups (needed with ReadData only).
	Identities []age.Identity
	// Parallelism is the number of objects checked at once (default 4).
	Parallelism int
	// Progress, when set, is called after each object with its stored size.
	Progress func(key string, bytes int64)
	// Collections, when set, limits the check to the collections it
	// accepts (restore checks only what it will read); the oplog is
	// always checked.
	Collections func(c *manifest.Collection) bool
	// Slices are PITR slices checked along with the backup (a restore
	// replays them after its oplog).
	Slices []*manifest.Slice
}

// Problem is one object that failed verification.
type Problem struct {
	Key     string `json:"key"`
	Problem string `json:"problem"`
}

// Report is the outcome of a verification.
type Report struct {
	ReplicaSet   string    `json:"replica_set"`
	ID           string    `json:"id"`
	ReadData     bool      `json:"read_data"`
	Objects      int       `json:"objects"`
	StoredBytes  int64     `json:"stored_bytes"`
	Documents    int64     `json:"documents,omitempty"`
	OplogEntries int64     `json:"oplog_entries,omitempty"`
	Problems     []Problem `json:"problems"`
	OK           bool      `json:"ok"`
}

// Verify checks every object of a backup (or, with Collections, of the
// collections chosen, and the oplog) and of the Slices given: present,
// with the recorded size and SHA-256, and with ReadData, every document
// decodes and the counts and digests match. A failed check returns the report and an error wrapping
// fault.ErrVerification that names the keys.
func Verify(ctx context.Context, st storage.Storage, m *manifest.Manifest, opts VerifyOptions) (Report, error) {
	rep := Report{ReplicaSet: m.ReplicaSet, ID: m.ID, ReadData: opts.ReadData, Problems: []Problem{}}
	if opts.ReadData && m.Encrypted() && len(opts.Identities) == 0 {
		return rep, fault.Usage("backup " + m.ID + " is encrypted: --read-data needs the age identity file (--identity FILE or the config's identity_file)")
	}
	v := &verifier{st: st, m: m, opts: opts, rep: &rep}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(opts.Parallelism, 4))
	dir := layout.Dir(m.ReplicaSet, m.ID)
	for i := range m.Collections {
		c := &m.Collections[i]
		if opts.Collections != nil && !opts.Collections(c) {
			continue
		}
		if c.Data != nil {
			g.Go(func() error {
				return v.object(gctx, dir+c.Data.Key, *c.Data, func(r io.Reader) error { return v.data(c, r) })
			})
		}
		g.Go(func() error {
			return v.object(gctx, dir+c.Metadata.Key, c.Metadata, func(r io.Reader) error { return v.meta(c, r) })
		})
	}
	g.Go(func() error { return v.object(gctx, dir+m.Oplog.Object.Key, m.Oplog.Object, v.oplog) })
	for _, s := range opts.Slices {
		key := layout.PITRPrefix(s.ReplicaSet) + s.Object.Key
		g.Go(func() error { return v.object(gctx, key, s.Object, func(r io.Reader) error { return v.slice(s, r) }) })
	}
	if err := g.Wait(); err != nil {
		return rep, err
	}
	rep.OK = len(rep.Problems) == 0
	if !rep.OK {
		keys := make([]string, 0, len(rep.Problems))
		for _, p := range rep.Problems {
			keys = append(keys, storage.Where(st, p.Key)+": "+p.Problem)
		}
		return rep, fault.Verification(fmt.Sprintf("backup %s of %s did not verify: %s", m.ID, m.ReplicaSet, strings.Join(keys, "; ")))
	}
	return rep, nil
}

type verifier struct {
	st   storage.Storage
	m    *manifest.Manifest
	opts VerifyOptions
	mu   sync.Mutex
	rep  *Report
}

func (v *verifier) problem(key, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rep.Problems = append(v.rep.Problems, Problem{Key: key, Problem: fmt.Sprintf(format, args...)})
}

// object checks one object's bytes and, with ReadData, its content. Only
// operational failures (cancellation, a missing identity) stop the run.
func (v *verifier) object(ctx context.Context, key string, o manifest.Object, content func(io.Reader) error) error {
	enc := stream.Encoding{}
	if v.opts.ReadData {
		enc = stream.Encoding{Compressed: o.Compressed, Encrypted: o.Encrypted}
	}
	r, err := stream.Open(ctx, v.st, key, enc, v.opts.Identities, stream.Expect{Size: o.Size, SHA256: o.SHA256})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		v.problem(key, "missing")
		return nil
	case err != nil && ctx.Err() == nil && o.Encrypted && v.opts.ReadData:
		v.problem(key, "cannot decrypt: %v", err)
		return nil
	case err != nil:
		return err
	}
	defer r.Close()
	if v.opts.ReadData {
		err = content(r)
	}
	if err == nil {
		_, err = io.Copy(io.Discard, r) // reaches EOF: size and SHA-256 checked
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		v.problem(key, "%s", strings.TrimPrefix(err.Error(), storage.Where(v.st, key)+": "))
	}
	v.mu.Lock()
	v.rep.Objects++
	v.rep.StoredBytes += o.Size
	v.mu.Unlock()
	if v.opts.Progress != nil {
		v.opts.Progress(key, o.Size)
	}
	return nil
}

func (v *verifier) data(c *manifest.Collection, r io.Reader) error {
	dr := stream.NewDocReader(r)
	var d digest.Digest
	var raw int64
	for {
		doc, err := dr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		d.Add(doc)
		raw += int64(len(doc))
	}
	switch {
	case d.Count() != c.Documents:
		return fmt.Errorf("%d documents, the manifest says %d", d.Count(), c.Documents)
	case raw != c.RawBytes:
		return fmt.Errorf("%d bytes of BSON, the manifest says %d", raw, c.RawBytes)
	case d.String() != c.Digest:
		return fmt.Errorf("content digest %s, the manifest says %s", d.String(), c.Digest)
	}
	v.mu.Lock()
	v.rep.Documents += d.Count()
	v.mu.Unlock()
	return nil
}

func (v *verifier) meta(c *manifest.Collection, r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return err
	}
	md, err := metadata.Parse(b)
	if err != nil {
		return err
	}
	if md.CollectionName != c.Name || len(md.Indexes) != c.Indexes {
		return fmt.Errorf("metadata of %s with %d indexes, the manifest says %s with %d", md.CollectionName, len(md.Indexes), c.Name, c.Indexes)
	}
	return nil
}

func (v *verifier) oplog(r io.Reader) error {
	n, first, last, err := ScanOplog(r)
	if err != nil {
		return err
	}
	o := v.m.Oplog
	if n != o.Entries || (n > 0 && (first != o.First || last != o.Last)) {
		return fmt.Errorf("%d entries from %s to %s, the manifest says %d from %s to %s", n, first, last, o.Entries, o.First, o.Last)
	}
	v.mu.Lock()
	v.rep.OplogEntries += n
	v.mu.Unlock()
	return nil
}

func (v *verifier) slice(s *manifest.Slice, r io.Reader) error {
	n, first, last, err := ScanOplog(r)
	if err != nil {
		return err
	}
	if n != s.Entries || first != s.First.TS || last != s.Last.TS {
		return fmt.Errorf("%d entries from %s to %s, the slice record says %d from %s to %s", n, first, last, s.Entries, s.First.TS, s.Last.TS)
	}
	v.mu.Lock()
	v.rep.OplogEntries += n
	v.mu.Unlock()
	return nil
}

// ScanOplog reads an oplog stream and checks that its timestamps strictly
// increase; it returns the count and the first and last timestamps.
func ScanOplog(r io.Reader) (n int64, first, last manifest.Timestamp, err error) {
	dr := stream.NewDocReader(r)
	for {
		doc, err := dr.Next()
		if err == io.EOF {
			return n, first, last, nil
		}
		if err != nil {
			return n, first, last, err
		}
		t, i, ok := bson.Raw(doc).Lookup("ts").TimestampOK()
		if !ok {
			return n, first, last, fmt.Errorf("oplog entry %d has no ts timestamp", n)
		}
		ts := manifest.Timestamp{T: t, I: i}
		if n > 0 && !last.Before(ts) {
			return n, first, last, fmt.Errorf("oplog entry %d at %s does not follow %s", n, ts, last)
		}
		if n == 0 {
			first = ts
		}
		last = ts
		n++
	}
}
