package drill

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/metadata"
)

// indexOptions are the parts of an index definition a restore must
// carry over. "v", "ns" and "background" are left out: the restore drops
// "v" on purpose (the target builds its own version), the others are
// informational or deprecated.
var indexOptions = []string{"unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "collation", "hidden", "weights", "default_language"}

// definition renders an index's key and carried-over options in a
// canonical form: numbers as float64 (1, int32(1) and 1.0 are the same
// key), absent booleans as false.
func definition(ix bson.D) string {
	var b strings.Builder
	b.WriteString("key ")
	b.WriteString(canonical(lookup(ix, "key")))
	for _, name := range indexOptions {
		v := lookup(ix, name)
		if v == nil || v == false {
			continue
		}
		fmt.Fprintf(&b, ", %s %s", name, canonical(v))
	}
	return b.String()
}

func lookup(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// canonical writes a value with every number as float64, keeping the
// order of documents (an index key's order matters).
func canonical(v any) string {
	switch x := v.(type) {
	case bson.D:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprintf("%q: %s", e.Key, canonical(e.Value))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case bson.A:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = canonical(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case int32:
		return fmt.Sprint(float64(x))
	case int64:
		return fmt.Sprint(float64(x))
	case float64:
		return fmt.Sprint(x)
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%v", v)
}

// compareIndexes lists how the target's indexes of ns differ from the
// backup's metadata: missing, different or extra, by name.
func compareIndexes(ns string, want, got []bson.D) []string {
	byName := func(ixs []bson.D) map[string]string {
		m := map[string]string{}
		for _, ix := range ixs {
			m[metadata.IndexName(ix)] = definition(ix)
		}
		return m
	}
	w, g := byName(want), byName(got)
	var out []string
	for name, def := range w {
		switch gdef, ok := g[name]; {
		case !ok:
			out = append(out, fmt.Sprintf("index %s of %s is missing on the target (backup: %s)", name, ns, def))
		case gdef != def:
			out = append(out, fmt.Sprintf("index %s of %s differs: target %s, backup %s", name, ns, gdef, def))
		}
	}
	for name, def := range g {
		if _, ok := w[name]; !ok {
			out = append(out, fmt.Sprintf("index %s of %s is on the target but not in the backup (%s)", name, ns, def))
		}
	}
	slices.Sort(out)
	return out
}

// listIndexes reads a collection's index specifications.
func listIndexes(ctx context.Context, c *mongo.Collection) ([]bson.D, error) {
	cur, err := c.Database().RunCommandCursor(ctx, bson.D{{Key: "listIndexes", Value: c.Name()}})
	if err != nil {
		return nil, fmt.Errorf("list the indexes of %s.%s: %w", c.Database().Name(), c.Name(), err)
	}
	var out []bson.D
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list the indexes of %s.%s: %w", c.Database().Name(), c.Name(), err)
	}
	return out, nil
}
