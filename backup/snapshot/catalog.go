package snapshot

import (
	"context"
	"encoding/hex"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/metadata"
	"github.com/noscites/citadel/internal/mongoconn"
)

func listCollections(ctx context.Context, c *mongo.Client, includeSystem bool) ([]collection, error) {
	var out []collection
	err := mongoconn.DefaultRetry().Do(ctx, func(int) error {
		var err error
		out, err = listAll(ctx, c, includeSystem)
		return err
	})
	return out, err
}

func listAll(ctx context.Context, c *mongo.Client, includeSystem bool) ([]collection, error) {
	dbs, err := c.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	var out []collection
	for _, db := range dbs {
		if db == "local" || db == "config" && !includeSystem {
			continue
		}
		cur, err := c.Database(db).ListCollections(ctx, bson.D{})
		if err != nil {
			return nil, fmt.Errorf("list collections of %s: %w", db, err)
		}
		var infos []bson.Raw
		err = cur.All(ctx, &infos)
		if err != nil {
			return nil, fmt.Errorf("list collections of %s: %w", db, err)
		}
		for _, info := range infos {
			name, _ := info.Lookup("name").StringValueOK()
			kind, _ := info.Lookup("type").StringValueOK()
			if kind == "" {
				kind = "collection"
			}
			if layout.Skipped(db, name, includeSystem) {
				continue
			}
			if kind != "collection" && kind != "view" {
				return nil, fmt.Errorf("%s.%s is a %s collection, which citadel cannot back up yet", db, name, kind)
			}
			out = append(out, collection{db: db, name: name, kind: kind, info: info})
		}
	}
	return out, nil
}

// collectionMetadata builds the mongodump-shaped metadata: options and
// uuid from listCollections, index specifications from listIndexes.
func collectionMetadata(ctx context.Context, c *mongo.Client, cl collection) (*metadata.Metadata, error) {
	md := &metadata.Metadata{CollectionName: cl.name, Type: cl.kind, Options: bson.D{}}
	if opts, ok := cl.info.Lookup("options").DocumentOK(); ok {
		if err := bson.Unmarshal(opts, &md.Options); err != nil {
			return nil, fmt.Errorf("options of %s.%s: %w", cl.db, cl.name, err)
		}
	}
	if _, data, ok := cl.info.Lookup("info", "uuid").BinaryOK(); ok {
		md.UUID = hex.EncodeToString(data)
	}
	if cl.kind == "view" {
		return md, nil
	}
	cur, err := c.Database(cl.db).Collection(cl.name).Indexes().List(ctx, options.ListIndexes())
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s.%s: %w", cl.db, cl.name, err)
	}
	var specs []bson.D
	if err := cur.All(ctx, &specs); err != nil {
		return nil, fmt.Errorf("list indexes of %s.%s: %w", cl.db, cl.name, err)
	}
	for _, s := range specs {
		md.Indexes = append(md.Indexes, dropKey(s, "ns"))
	}
	return md, nil
}

func dropKey(d bson.D, key string) bson.D {
	out := d[:0:0]
	for _, e := range d {
		if e.Key != key {
			out = append(out, e)
		}
	}
	return out
}
