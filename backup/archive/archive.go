// Package archive writes and reads the objects of one backup: a
// collection's documents and metadata, the oplog slice, and the manifest
// that commits them. Writers compute counts, sizes, SHA-256 and content
// digests while streaming; readers check them while decoding.
package archive

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/stream"
)

// Writer writes the objects of one backup; Commit writes the manifest.
type Writer struct {
	dest   Destination
	rs, id string
	mu     sync.Mutex
	stored int64
}

// NewWriter prepares a backup directory in dest.
func NewWriter(dest Destination, rs, id string) *Writer {
	return &Writer{dest: dest, rs: rs, id: id}
}

// Emit adds one document to an object being written.
type Emit func(doc bson.Raw) error

func (w *Writer) upload(ctx context.Context, rel string, compressible bool, threads int, fill func(io.Writer) error) (manifest.Object, error) {
	obj, err := w.dest.upload(ctx, layout.Dir(w.rs, w.id)+rel, compressible, threads, fill)
	if err != nil {
		return obj, err
	}
	w.mu.Lock()
	w.stored += obj.Size
	w.mu.Unlock()
	obj.Key = rel
	return obj, nil
}

// Collection writes a collection's documents (from fill) and metadata;
// threads is how many goroutines compress the documents (0 or 1: one).
func (w *Writer) Collection(ctx context.Context, db, name string, md *metadata.Metadata, threads int, fill func(Emit) error) (manifest.Collection, error) {
	c := manifest.Collection{DB: db, Name: name, Type: "collection", Indexes: len(md.Indexes)}
	var d digest.Digest
	data, err := w.upload(ctx, layout.DataKey(db, name, w.dest.Codec.Suffix(true)), true, threads, func(out io.Writer) error {
		return fill(func(doc bson.Raw) error {
			d.Add(doc)
			c.RawBytes += int64(len(doc))
			_, err := out.Write(doc)
			return err
		})
	})
	if err != nil {
		return c, fmt.Errorf("dump %s.%s: %w", db, name, err)
	}
	c.Data, c.Documents, c.Digest = &data, d.Count(), d.String()
	if c.Metadata, err = w.metadata(ctx, db, name, md); err != nil {
		return c, err
	}
	return c, nil
}

// View writes a view's metadata (a view has no documents).
func (w *Writer) View(ctx context.Context, db, name string, md *metadata.Metadata) (manifest.Collection, error) {
	obj, err := w.metadata(ctx, db, name, md)
	return manifest.Collection{DB: db, Name: name, Type: "view", Metadata: obj}, err
}

func (w *Writer) metadata(ctx context.Context, db, name string, md *metadata.Metadata) (manifest.Object, error) {
	b, err := md.Marshal()
	if err != nil {
		return manifest.Object{}, err
	}
	obj, err := w.upload(ctx, layout.MetadataKey(db, name, w.dest.Codec.Suffix(false)), false, 1, func(out io.Writer) error {
		_, err := out.Write(b)
		return err
	})
	if err != nil {
		return obj, fmt.Errorf("write metadata of %s.%s: %w", db, name, err)
	}
	return obj, nil
}

// Oplog writes the oplog slice; entries must come in timestamp order.
func (w *Writer) Oplog(ctx context.Context, fill func(Emit) error) (manifest.Oplog, error) {
	var o manifest.Oplog
	obj, err := w.upload(ctx, layout.OplogBase+w.dest.Codec.Suffix(true), true, 1, func(out io.Writer) error {
		return fill(func(doc bson.Raw) error {
			t, i, ok := doc.Lookup("ts").TimestampOK()
			if !ok {
				return fmt.Errorf("oplog entry without ts: %s", doc)
			}
			ts := manifest.Timestamp{T: t, I: i}
			if o.Entries > 0 && !o.Last.Before(ts) {
				return fmt.Errorf("oplog entry %s out of order after %s", ts, o.Last)
			}
			if o.Entries == 0 {
				o.First = ts
			}
			o.Last = ts
			o.Entries++
			_, err := out.Write(doc)
			return err
		})
	})
	if err != nil {
		return o, fmt.Errorf("write oplog: %w", err)
	}
	o.Object = obj
	return o, nil
}

// Commit completes the manifest (format, ids, encodings, totals), checks
// it and writes manifest.json: from then on the backup exists.
func (w *Writer) Commit(ctx context.Context, m *manifest.Manifest) error {
	m.Format, m.ID, m.ReplicaSet, m.Digest = manifest.Format, w.id, w.rs, digest.Algorithm
	m.Compression = manifest.Compression{Algorithm: stream.Zstd, Level: w.dest.Codec.Level}
	if !w.dest.Codec.Compressed() {
		m.Compression = manifest.Compression{Algorithm: stream.None}
	}
	m.Encryption = w.dest.encryption()
	slices.SortFunc(m.Collections, func(a, b manifest.Collection) int {
		return strings.Compare(a.Namespace(), b.Namespace())
	})
	m.Totals = manifest.Totals{Collections: len(m.Collections), StoredBytes: w.stored}
	for _, c := range m.Collections {
		m.Totals.Documents += c.Documents
		m.Totals.RawBytes += c.RawBytes
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("commit backup %s: %w", w.id, err)
	}
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	if _, err := storage.PutBytes(ctx, w.dest.Storage, layout.ManifestKey(w.rs, w.id), b, w.dest.Put()); err != nil {
		return fmt.Errorf("commit backup %s: %w", w.id, err)
	}
	return nil
}

// Docs reads a stored BSON stream; Close releases it.
type Docs struct {
	*stream.DocReader
	r *stream.Reader
}

// Close releases the object.
func (d *Docs) Close() error { return d.r.Close() }

func open(ctx context.Context, st storage.Storage, m *manifest.Manifest, o manifest.Object, ids []age.Identity) (*stream.Reader, error) {
	return stream.Open(ctx, st, layout.Dir(m.ReplicaSet, m.ID)+o.Key,
		stream.Encoding{Compressed: o.Compressed, Encrypted: o.Encrypted}, ids, stream.Expect{Size: o.Size, SHA256: o.SHA256})
}

// OpenData opens a collection's documents; reading past the last document
// checks the object's size and SHA-256.
func OpenData(ctx context.Context, st storage.Storage, m *manifest.Manifest, c manifest.Collection, ids []age.Identity) (*Docs, error) {
	if c.Data == nil {
		return nil, fmt.Errorf("open %s: a view has no documents", c.Namespace())
	}
	r, err := open(ctx, st, m, *c.Data, ids)
	if err != nil {
		return nil, err
	}
	return &Docs{DocReader: stream.NewDocReader(r), r: r}, nil
}

// OpenOplog opens the backup's oplog entries.
func OpenOplog(ctx context.Context, st storage.Storage, m *manifest.Manifest, ids []age.Identity) (*Docs, error) {
	r, err := open(ctx, st, m, m.Oplog.Object, ids)
	if err != nil {
		return nil, err
	}
	return &Docs{DocReader: stream.NewDocReader(r), r: r}, nil
}

// ReadMetadata reads and parses a collection's metadata.
func ReadMetadata(ctx context.Context, st storage.Storage, m *manifest.Manifest, c manifest.Collection, ids []age.Identity) (*metadata.Metadata, error) {
	r, err := open(ctx, st, m, c.Metadata, ids)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	md, err := metadata.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("read metadata of %s: %w", c.Namespace(), err)
	}
	return md, nil
}
