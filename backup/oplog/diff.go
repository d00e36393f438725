package oplog

import (
	"fmt"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// UpdateDocs turns the o field of an update ('u') entry into the update
// documents to apply in order, or a replacement document:
//
//   - {$v: 2, diff: {...}} (mongod 5.0+): the delta format, translated into
//     $set / $unset, with array truncation as a separate $push $slice step;
//   - {$set: …, $unset: …} with or without $v: 1: applied as written;
//   - a document without operators: a full replacement.
func UpdateDocs(o bson.Raw) (updates []bson.D, replacement bson.Raw, err error) {
	elems, err := o.Elements()
	if err != nil {
		return nil, nil, fmt.Errorf("update entry: %w", err)
	}
	hasOp := false
	for _, e := range elems {
		if strings.HasPrefix(e.Key(), "$") {
			hasOp = true
		}
	}
	if !hasOp {
		return nil, o, nil
	}
	if v, ok := o.Lookup("$v").AsInt64OK(); ok && v == 2 {
		diff, ok := o.Lookup("diff").DocumentOK()
		if !ok {
			return nil, nil, fmt.Errorf("update entry with $v: 2 and no diff document")
		}
		d := &delta{set: bson.D{}, unset: bson.D{}}
		if err := d.walk("", diff); err != nil {
			return nil, nil, err
		}
		return d.docs(), nil, nil
	}
	var u bson.D
	for _, e := range elems {
		if e.Key() == "$v" {
			continue
		}
		u = append(u, bson.E{Key: e.Key(), Value: e.Value()})
	}
	return []bson.D{u}, nil, nil
}

type delta struct {
	truncate bson.D // {$push: {path: {$each: [], $slice: n}}}
	set      bson.D
	unset    bson.D
}

func (d *delta) docs() []bson.D {
	var out []bson.D
	if len(d.truncate) > 0 {
		out = append(out, bson.D{{Key: "$push", Value: d.truncate}})
	}
	var u bson.D
	if len(d.set) > 0 {
		u = append(u, bson.E{Key: "$set", Value: d.set})
	}
	if len(d.unset) > 0 {
		u = append(u, bson.E{Key: "$unset", Value: d.unset})
	}
	if len(u) > 0 {
		out = append(out, u)
	}
	return out
}

// walk reads one object diff: u (update), i (insert), d (delete) sections
// and s<field> sub-diffs.
func (d *delta) walk(prefix string, diff bson.Raw) error {
	elems, err := diff.Elements()
	if err != nil {
		return fmt.Errorf("update diff: %w", err)
	}
	for _, e := range elems {
		k := e.Key()
		switch {
		case k == "u" || k == "i":
			fields, err := e.Value().Document().Elements()
			if err != nil {
				return fmt.Errorf("update diff %q: %w", k, err)
			}
			for _, f := range fields {
				d.set = append(d.set, bson.E{Key: prefix + f.Key(), Value: f.Value()})
			}
		case k == "d":
			fields, err := e.Value().Document().Elements()
			if err != nil {
				return fmt.Errorf("update diff d: %w", err)
			}
			for _, f := range fields {
				d.unset = append(d.unset, bson.E{Key: prefix + f.Key(), Value: ""})
			}
		case strings.HasPrefix(k, "s") && len(k) > 1:
			sub, ok := e.Value().DocumentOK()
			if !ok {
				return fmt.Errorf("update diff %q is not a document", k)
			}
			if err := d.sub(prefix+k[1:], sub); err != nil {
				return err
			}
		default:
			return fmt.Errorf("update diff: unknown section %q", k)
		}
	}
	return nil
}

// sub reads a sub-diff: an array diff (a: true) or an object diff.
func (d *delta) sub(path string, diff bson.Raw) error {
	if isArray, _ := diff.Lookup("a").BooleanOK(); !isArray {
		return d.walk(path+".", diff)
	}
	elems, err := diff.Elements()
	if err != nil {
		return fmt.Errorf("array diff of %s: %w", path, err)
	}
	for _, e := range elems {
		k := e.Key()
		switch {
		case k == "a":
		case k == "l":
			n, ok := e.Value().AsInt64OK()
			if !ok {
				return fmt.Errorf("array diff of %s: bad length", path)
			}
			d.truncate = append(d.truncate, bson.E{Key: path, Value: bson.D{{Key: "$each", Value: bson.A{}}, {Key: "$slice", Value: n}}})
		case strings.HasPrefix(k, "u"):
			if _, err := strconv.Atoi(k[1:]); err != nil {
				return fmt.Errorf("array diff of %s: bad index %q", path, k)
			}
			d.set = append(d.set, bson.E{Key: path + "." + k[1:], Value: e.Value()})
		case strings.HasPrefix(k, "s"):
			if _, err := strconv.Atoi(k[1:]); err != nil {
				return fmt.Errorf("array diff of %s: bad index %q", path, k)
			}
			sub, ok := e.Value().DocumentOK()
			if !ok {
				return fmt.Errorf("array diff of %s: %q is not a document", path, k)
			}
			if err := d.sub(path+"."+k[1:], sub); err != nil {
				return err
			}
		default:
			return fmt.Errorf("array diff of %s: unknown section %q", path, k)
		}
	}
	return nil
}
