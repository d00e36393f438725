package ingest

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EnsureIndexes creates the collections' indexes. A geo (2dsphere) index
// that the server refuses is a warning in the report naming the index, not a
// failure: FerretDB has no 2dsphere indexes, real MongoDB gets them.
func EnsureIndexes(ctx context.Context, db *mongo.Database, colls []Collection, st *stats) error {
	for _, c := range colls {
		have, err := indexNames(ctx, db.Collection(c.Name))
		if err != nil {
			return err
		}
		var plain []mongo.IndexModel
		for _, ix := range c.Indexes {
			if have[ix.Name] {
				continue // FerretDB 1.24 drops the connection on re-creating an index
			}
			m := mongo.IndexModel{Keys: ix.Keys, Options: options.Index().SetName(ix.Name)}
			if !ix.Geo {
				plain = append(plain, m)
				continue
			}
			if _, err := db.Collection(c.Name).Indexes().CreateOne(ctx, m); err != nil {
				st.warn(fmt.Sprintf("index %s on %s.%s not created (%v): geographic queries on it will scan",
					ix.Name, db.Name(), c.Name, err))
			}
		}
		if len(plain) == 0 {
			continue
		}
		if _, err := db.Collection(c.Name).Indexes().CreateMany(ctx, plain); err != nil {
			return fmt.Errorf("create indexes of %s.%s: %w", db.Name(), c.Name, err)
		}
	}
	return nil
}

func indexNames(ctx context.Context, c *mongo.Collection) (map[string]bool, error) {
	specs, err := c.Indexes().ListSpecifications(ctx)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", c.Name(), err)
	}
	have := map[string]bool{}
	for _, s := range specs {
		have[s.Name] = true
	}
	return have, nil
}
