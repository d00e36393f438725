package ingest

import (
	"fmt"
	"os"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// pendGroup is a group of documents whose key already exists, waiting for
// one find of their stored hashes. Their bytes (and raw records) are
// spilled to a temporary file, so that a group can hold PendingLimit keys
// in a few megabytes of memory.
type pendGroup struct {
	refs []pendRef
	f    *os.File
	off  int64
}

type pendRef struct {
	id      any
	hash    string
	src     Loc // without Raw
	off     int64
	n, rawN int
}

func (g *pendGroup) add(p pending) error {
	if g.f == nil {
		f, err := os.CreateTemp("", "citadel-ingest-*.pending")
		if err != nil {
			return fmt.Errorf("create pending file: %w", err)
		}
		g.f = f
	}
	ref := pendRef{id: p.id, hash: p.hash, src: p.src, off: g.off, n: len(p.doc), rawN: len(p.src.Raw)}
	ref.src.Raw = ""
	if _, err := g.f.Write(p.doc); err != nil {
		return fmt.Errorf("write pending file: %w", err)
	}
	if _, err := g.f.WriteString(p.src.Raw); err != nil {
		return fmt.Errorf("write pending file: %w", err)
	}
	g.off += int64(ref.n + ref.rawN)
	g.refs = append(g.refs, ref)
	return nil
}

// load reads a document back with its raw record.
func (g *pendGroup) load(r pendRef) (pending, error) {
	b := make([]byte, r.n+r.rawN)
	if _, err := g.f.ReadAt(b, r.off); err != nil {
		return pending{}, fmt.Errorf("read pending file: %w", err)
	}
	src := r.src
	src.Raw = string(b[r.n:])
	return pending{id: r.id, doc: bson.Raw(b[:r.n]), hash: r.hash, src: src}, nil
}

// close removes the file.
func (g *pendGroup) close() {
	if g.f != nil {
		name := g.f.Name()
		_ = g.f.Close()
		_ = os.Remove(name)
	}
}
