package oplog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// mongod error codes a replay tolerates: the state is already there.
const (
	codeNamespaceNotFound = 26
	codeIndexNotFound     = 27
	codeNamespaceExists   = 48
)

func tolerated(err error, codes ...int) bool {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		for _, c := range codes {
			if int(ce.Code) == c {
				return true
			}
		}
	}
	return false
}

// command replays a 'c' entry.
func (a *Applier) command(ctx context.Context, ns string, o, raw bson.Raw) error {
	db, _, _ := strings.Cut(ns, ".")
	first, err := o.IndexErr(0)
	if err != nil {
		return fmt.Errorf("empty command entry")
	}
	name := first.Key()
	collName, _ := first.Value().StringValueOK()
	switch name {
	case "applyOps":
		return a.applyOps(ctx, o, raw)
	case "commitTransaction":
		return a.commit(ctx, txnKey(raw))
	case "abortTransaction":
		delete(a.txns, txnKey(raw))
		return nil
	case "startIndexBuild", "abortIndexBuild":
		a.Skipped++ // two-phase index builds: the commit entry carries the specs
		return nil
	case "dropDatabase":
		target, ok := a.MapDB(db)
		if !ok {
			a.Skipped++
			return nil
		}
		return a.run(ctx, target, bson.D{{Key: "dropDatabase", Value: 1}})
	case "renameCollection":
		return a.rename(ctx, o)
	}
	target, ok := a.Map(db + "." + collName)
	if !ok {
		a.Skipped++
		return nil
	}
	tdb, tcoll, _ := strings.Cut(target, ".")
	cmd := bson.D{{Key: name, Value: tcoll}}
	switch name {
	case "create":
		cmd = append(cmd, rest(o, "idIndex")...)
		return a.run(ctx, tdb, cmd, codeNamespaceExists)
	case "drop":
		return a.run(ctx, tdb, cmd, codeNamespaceNotFound)
	case "createIndexes":
		spec := rest(o)
		return a.run(ctx, tdb, bson.D{{Key: "createIndexes", Value: tcoll}, {Key: "indexes", Value: bson.A{spec}}})
	case "commitIndexBuild":
		specs, _ := o.Lookup("indexes").ArrayOK()
		return a.run(ctx, tdb, bson.D{{Key: "createIndexes", Value: tcoll}, {Key: "indexes", Value: specs}})
	case "dropIndexes", "deleteIndex", "deleteIndexes":
		idx := o.Lookup("index")
		return a.run(ctx, tdb, bson.D{{Key: "dropIndexes", Value: tcoll}, {Key: "index", Value: idx}}, codeIndexNotFound, codeNamespaceNotFound)
	case "collMod", "convertToCapped", "emptycapped":
		return a.run(ctx, tdb, append(cmd, rest(o)...))
	}
	return fmt.Errorf("command %q cannot be replayed by citadel", name)
}

func (a *Applier) rename(ctx context.Context, o bson.Raw) error {
	from, _ := o.Lookup("renameCollection").StringValueOK()
	to, _ := o.Lookup("to").StringValueOK()
	tf, okf := a.Map(from)
	tt, okt := a.Map(to)
	switch {
	case !okf && !okt:
		a.Skipped++
		return nil
	case !okf || !okt:
		return fmt.Errorf("renameCollection %s to %s crosses the restored namespaces", from, to)
	}
	cmd := bson.D{{Key: "renameCollection", Value: tf}, {Key: "to", Value: tt}}
	if drop, ok := o.Lookup("dropTarget").BooleanOK(); ok {
		cmd = append(cmd, bson.E{Key: "dropTarget", Value: drop})
	}
	return a.run(ctx, "admin", cmd)
}

// rest returns the fields after the first, less the ones named.
func rest(o bson.Raw, skip ...string) bson.D {
	var out bson.D
	elems, _ := o.Elements()
	for i, e := range elems {
		if i == 0 || contains(skip, e.Key()) {
			continue
		}
		out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (a *Applier) run(ctx context.Context, db string, cmd bson.D, ok ...int) error {
	err := a.Client.Database(db).RunCommand(ctx, cmd).Err()
	if err != nil && !tolerated(err, ok...) {
		return fmt.Errorf("%s on %s: %w", cmd[0].Key, db, err)
	}
	a.Applied++
	return nil
}
