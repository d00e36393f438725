package oplog

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Match reports whether doc matches a query filter. It covers what oplog
// readers use: dotted field paths; $eq $ne $gt $gte $lt $lte $in $nin
// $exists $regex; $and $or $nor. Anything else is CommandNotSupported.
func Match(doc, filter bson.Raw) (bool, error) {
	if len(filter) == 0 {
		return true, nil
	}
	elems, err := filter.Elements()
	if err != nil {
		return false, mongoerr.New(mongoerr.FailedToParse, "invalid filter: %v", err)
	}
	for _, e := range elems {
		ok, err := matchElem(doc, e.Key(), e.Value())
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchElem(doc bson.Raw, key string, v bson.RawValue) (bool, error) {
	switch key {
	case "$and", "$or", "$nor":
		arr, ok := v.ArrayOK()
		if !ok {
			return false, mongoerr.New(mongoerr.BadValue, "%s must be an array", key)
		}
		vals, _ := arr.Values()
		any := false
		for _, sub := range vals {
			d, ok := sub.DocumentOK()
			if !ok {
				return false, mongoerr.New(mongoerr.BadValue, "%s entries must be objects", key)
			}
			m, err := Match(doc, d)
			if err != nil {
				return false, err
			}
			if key == "$and" && !m {
				return false, nil
			}
			any = any || m
		}
		switch key {
		case "$or":
			return any, nil
		case "$nor":
			return !any, nil
		}
		return true, nil
	}
	if strings.HasPrefix(key, "$") {
		return false, mongoerr.NotSupported("the query operator " + key + " on local.oplog.rs")
	}
	field, err := doc.LookupErr(strings.Split(key, ".")...)
	exists := err == nil
	if d, ok := v.DocumentOK(); ok && isOperatorDoc(d) {
		return matchOps(field, exists, d)
	}
	return exists && equal(field, v), nil
}

func isOperatorDoc(d bson.Raw) bool {
	e, err := d.IndexErr(0)
	return err == nil && strings.HasPrefix(e.Key(), "$")
}

func matchOps(field bson.RawValue, exists bool, ops bson.Raw) (bool, error) {
	elems, _ := ops.Elements()
	for _, e := range elems {
		ok, err := matchOp(field, exists, e.Key(), e.Value())
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func matchOp(field bson.RawValue, exists bool, op string, arg bson.RawValue) (bool, error) {
	switch op {
	case "$exists":
		b, _ := arg.BooleanOK()
		return exists == b, nil
	case "$eq":
		return exists && equal(field, arg), nil
	case "$ne":
		return !exists || !equal(field, arg), nil
	case "$in", "$nin":
		arr, ok := arg.ArrayOK()
		if !ok {
			return false, mongoerr.New(mongoerr.BadValue, "%s needs an array", op)
		}
		vals, _ := arr.Values()
		in := false
		for _, x := range vals {
			in = in || (exists && equal(field, x))
		}
		return in == (op == "$in"), nil
	case "$gt", "$gte", "$lt", "$lte":
		if !exists {
			return false, nil
		}
		c, ok := Compare(field, arg)
		if !ok {
			return false, nil
		}
		switch op {
		case "$gt":
			return c > 0, nil
		case "$gte":
			return c >= 0, nil
		case "$lt":
			return c < 0, nil
		}
		return c <= 0, nil
	case "$regex":
		s, ok := field.StringValueOK()
		if !exists || !ok {
			return false, nil
		}
		pat, _ := arg.StringValueOK()
		if p, _, ok := arg.RegexOK(); ok {
			pat = p
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			return false, mongoerr.New(51091, "Regular expression is invalid: %v", err)
		}
		return re.MatchString(s), nil
	case "$options":
		return true, nil
	}
	return false, mongoerr.NotSupported("the query operator " + op + " on local.oplog.rs")
}

func equal(a, b bson.RawValue) bool {
	if c, ok := Compare(a, b); ok {
		return c == 0
	}
	if p, _, ok := b.RegexOK(); ok {
		s, sok := a.StringValueOK()
		re, err := regexp.Compile(p)
		return sok && err == nil && re.MatchString(s)
	}
	return a.Type == b.Type && bytes.Equal(a.Value, b.Value)
}

// Compare orders two values of comparable types (numbers, strings,
// timestamps, dates, ObjectIds, booleans); ok is false otherwise.
func Compare(a, b bson.RawValue) (int, bool) {
	if x, ok := a.AsFloat64OK(); ok {
		y, ok := b.AsFloat64OK()
		if !ok {
			return 0, false
		}
		return cmp3(x < y, x > y), true
	}
	if a.Type != b.Type {
		return 0, false
	}
	switch a.Type {
	case bson.TypeString:
		return strings.Compare(a.StringValue(), b.StringValue()), true
	case bson.TypeTimestamp:
		at, ai := a.Timestamp()
		bt, bi := b.Timestamp()
		return cmp3(at < bt || (at == bt && ai < bi), at > bt || (at == bt && ai > bi)), true
	case bson.TypeDateTime:
		x, y := a.DateTime(), b.DateTime()
		return cmp3(x < y, x > y), true
	case bson.TypeObjectID, bson.TypeBoolean:
		return bytes.Compare(a.Value, b.Value), true
	}
	return 0, false
}

func cmp3(lt, gt bool) int {
	switch {
	case lt:
		return -1
	case gt:
		return 1
	}
	return 0
}
