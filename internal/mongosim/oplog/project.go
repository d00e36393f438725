package oplog

import (
	"strings"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Projection is a find projection made only of inclusions or only of
// exclusions (field: 1/true or field: 0/false, dotted paths allowed, _id
// free to differ), as mongod applies them. Projection operators ($slice,
// $elemMatch, $meta, positional $), expressions and literals are refused
// with CommandNotSupported.
type Projection struct {
	include bool
	root    *projNode
}

type projNode struct {
	leaf bool
	kids map[string]*projNode
}

// ParseProjection parses a projection document; nil means "whole entries".
func ParseProjection(spec bson.Raw) (*Projection, error) {
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.FailedToParse, "invalid projection: %v", err)
	}
	if len(elems) == 0 {
		return nil, nil
	}
	p := &Projection{root: &projNode{kids: map[string]*projNode{}}}
	mode := 0 // 1 inclusion, -1 exclusion, 0 only _id so far
	var idIn *bool
	for _, e := range elems {
		key := e.Key()
		in, err := projectionValue(key, e.Value())
		if err != nil {
			return nil, err
		}
		if key == "_id" {
			idIn = &in
			continue
		}
		switch {
		case mode == 0 && in:
			mode = 1
		case mode == 0:
			mode = -1
		case mode == 1 && !in:
			return nil, mongoerr.New(31254, "Cannot do exclusion on field %s in inclusion projection", key)
		case mode == -1 && in:
			return nil, mongoerr.New(31253, "Cannot do inclusion on field %s in exclusion projection", key)
		}
		if err := p.root.add(key); err != nil {
			return nil, err
		}
	}
	// _id follows the projection's kind unless the projection says
	// otherwise: included by an inclusion, kept by an exclusion.
	p.include = mode == 1 || (mode == 0 && *idIn)
	if idOut := idIn != nil && !*idIn; p.include != idOut && p.root.kids["_id"] == nil {
		p.root.kids["_id"] = &projNode{leaf: true}
	}
	return p, nil
}

func projectionValue(key string, v bson.RawValue) (bool, error) {
	if strings.HasPrefix(key, "$") || strings.Contains(key, ".$") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
		return false, mongoerr.NotSupported("projection path " + key + " on local.oplog.rs")
	}
	switch {
	case v.Type == bson.TypeBoolean:
		return v.Boolean(), nil
	case v.IsNumber():
		return v.AsFloat64() != 0, nil
	}
	return false, mongoerr.NotSupported("projection operators, expressions and literals on local.oplog.rs (" + key + ")")
}

func (n *projNode) add(path string) error {
	cur := n
	parts := strings.Split(path, ".")
	for i, part := range parts {
		if cur.leaf {
			return mongoerr.NotSupported("projection paths that overlap (" + path + ") on local.oplog.rs")
		}
		next := cur.kids[part]
		if next == nil {
			next = &projNode{kids: map[string]*projNode{}}
			cur.kids[part] = next
		}
		if i == len(parts)-1 {
			if len(next.kids) > 0 || next.leaf {
				return mongoerr.NotSupported("projection paths that overlap (" + path + ") on local.oplog.rs")
			}
			next.leaf = true
		}
		cur = next
	}
	return nil
}

// Apply returns doc projected; a nil projection returns doc itself.
func (p *Projection) Apply(doc bson.Raw) bson.Raw {
	if p == nil {
		return doc
	}
	out, err := bson.Marshal(p.root.project(doc, p.include))
	if err != nil {
		return doc
	}
	return out
}

func (n *projNode) project(doc bson.Raw, include bool) bson.D {
	elems, _ := doc.Elements()
	out := bson.D{}
	for _, e := range elems {
		kid := n.kids[e.Key()]
		switch {
		case kid == nil && !include:
			out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
		case kid == nil:
		case kid.leaf && include:
			out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
		case kid.leaf:
		default:
			if v, ok := kid.nested(e.Value(), include); ok {
				out = append(out, bson.E{Key: e.Key(), Value: v})
			}
		}
	}
	return out
}

// nested applies a sub-projection to a subdocument or to the documents of
// an array, as mongod does; other values are dropped by an inclusion and
// kept by an exclusion.
func (n *projNode) nested(v bson.RawValue, include bool) (any, bool) {
	if d, ok := v.DocumentOK(); ok {
		return n.project(d, include), true
	}
	if arr, ok := v.ArrayOK(); ok {
		vals, _ := arr.Values()
		out := bson.A{}
		for _, x := range vals {
			if sub, ok := n.nested(x, include); ok {
				out = append(out, sub)
			}
		}
		return out, true
	}
	return v, !include
}
