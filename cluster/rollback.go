package cluster

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// lostDoc is one document a returning member's divergent writes touched:
// what mongod takes back when it rolls them back.
type lostDoc struct {
	id bson.RawValue
	// image is its last whole version in those writes; nil when none
	// holds it (an update logged as a $v:2 diff) or it was deleted.
	image bson.Raw
	// deleted: the last divergent write deleted it; the member no longer
	// holds it, and the rollback brings the primary's version back.
	deleted bool
}

// lostDocuments groups one member's divergent entries (newest first, as
// walked from the end of its oplog) by namespace: each document once, in
// the order first written, with its state after the last of them.
func lostDocuments(divergent []OplogEntry) map[string][]lostDoc {
	out := map[string][]lostDoc{}
	index := map[string]int{}
	for i := len(divergent) - 1; i >= 0; i-- {
		e := divergent[i]
		if e.ID.Type == 0 || e.Op != "i" && e.Op != "u" && e.Op != "d" {
			continue
		}
		key := e.NS + "\x00" + idKey(e.ID)
		j, ok := index[key]
		if !ok {
			j = len(out[e.NS])
			index[key] = j
			out[e.NS] = append(out[e.NS], lostDoc{id: e.ID})
		}
		d := &out[e.NS][j]
		switch e.Op {
		case "d":
			d.image, d.deleted = nil, true
		default:
			d.image, d.deleted = e.Image, false
		}
	}
	return out
}

// idKey identifies a document _id by its BSON type and bytes.
func idKey(id bson.RawValue) string { return string(rune(id.Type)) + string(id.Value) }

// held returns the documents of docs the member still holds (not deleted).
func held(docs []lostDoc) []lostDoc {
	var out []lostDoc
	for _, d := range docs {
		if !d.deleted {
			out = append(out, d)
		}
	}
	return out
}

// writes is what one stored oplog entry writes, as entries: itself, with
// the _id it writes and the whole document when it holds it; the
// operations of an applyOps command (a transaction) one by one, at the
// command's optime.
func (r rawEntry) writes() []OplogEntry {
	e := r.entry()
	switch r.Op {
	case "i":
		e.ID, e.Image = r.O.Lookup("_id"), clone(r.O)
	case "d":
		e.ID = r.O.Lookup("_id")
	case "u":
		e.ID = r.O2.Lookup("_id")
		if isReplacement(r.O) {
			e.Image = clone(r.O)
		}
	case "c":
		ops, ok := r.O.Lookup("applyOps").ArrayOK()
		if !ok {
			return []OplogEntry{e}
		}
		vals, _ := ops.Values()
		var out []OplogEntry
		for _, v := range vals {
			doc, ok := v.DocumentOK()
			if !ok {
				continue
			}
			inner := rawEntry{TS: r.TS, T: r.T, Wall: r.Wall}
			inner.Op, _ = doc.Lookup("op").StringValueOK()
			inner.NS, _ = doc.Lookup("ns").StringValueOK()
			inner.O, _ = doc.Lookup("o").DocumentOK()
			inner.O2, _ = doc.Lookup("o2").DocumentOK()
			out = append(out, inner.writes()...)
		}
		return out
	}
	return []OplogEntry{e}
}

// isReplacement reports whether an update's o is the whole new document
// (no $-operator or $v:2 diff at its top level).
func isReplacement(o bson.Raw) bool {
	elems, err := o.Elements()
	if err != nil || len(elems) == 0 {
		return false
	}
	for _, el := range elems {
		if len(el.Key()) > 0 && el.Key()[0] == '$' {
			return false
		}
	}
	return o.Lookup("_id").Type != 0
}

func clone(b bson.Raw) bson.Raw {
	if len(b) == 0 {
		return nil
	}
	return append(bson.Raw(nil), b...)
}
