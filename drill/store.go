package drill

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/internal/fault"
)

// save writes the report in one put (no temporary object: the storage
// makes it visible whole), with the storage's object lock.
// A non-zero deadline (the fence's) bounds the put.
func save(ctx context.Context, dest archive.Destination, rep *Report, deadline time.Time) error {
	return putJSON(ctx, dest, rep.Key, rep, deadline)
}

// putJSON stores one report at key, within a minute (even after ctx
// ended: the evidence of an interrupted drill is kept), and before
// deadline when it is set.
func putJSON(ctx context.Context, dest archive.Destination, key string, v any, deadline time.Time) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode drill report: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if !deadline.IsZero() {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadline(ctx, deadline)
		defer stop()
	}
	if _, err := storage.PutBytes(ctx, dest.Storage, key, append(b, '\n'), dest.Put()); err != nil {
		return fmt.Errorf("store drill report %s: %w", storage.Where(dest.Storage, key), err)
	}
	return nil
}

// parse reads a stored report.
func parse(b []byte, where string) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read drill report %s: %w", where, err)
	}
	if r.Format < 1 || r.Format > Format {
		return nil, fmt.Errorf("read drill report %s: format %d (this citadel reads up to %d): upgrade citadel", where, r.Format, Format)
	}
	return &r, nil
}

// Entry is one stored drill report as `drill list` shows it.
type Entry struct {
	ID         string        `json:"id"`
	Kind       string        `json:"kind"`
	Drill      string        `json:"drill"`
	ReplicaSet string        `json:"replica_set"`
	Storage    string        `json:"storage"`
	CrossSite  bool          `json:"cross_site"`
	Started    time.Time     `json:"started"`
	Backup     string        `json:"backup"`
	Passed     bool          `json:"passed"`
	RTO        time.Duration `json:"rto_ns"`
	RPO        time.Duration `json:"rpo_ns"`
	Reasons    int           `json:"reasons"`
	Where      string        `json:"where"`
}

// ListResult is every report found, newest first, and the storages that
// could not be read (a site down must not hide the other's evidence).
type ListResult struct {
	Drills   []Entry  `json:"drills"`
	Problems []string `json:"problems"`
}

// place is a storage and replica set under which reports may live.
type place struct{ storage, rs string }

// places are the storages of every backup job (its own and its copies)
// with the job's replica set: wherever a drill may have read from.
func places(env jobs.Env) ([]place, error) {
	cfg := env.Config
	if cfg == nil {
		return nil, fault.Usage("drill list and show need the configuration file (--config FILE or CITADEL_CONFIG)")
	}
	var out []place
	for _, b := range cfg.Backups {
		for _, st := range append([]string{b.Storage}, b.CopyTo...) {
			if p := (place{st, b.ReplicaSet}); !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// List lists the stored drill reports of every configured storage.
func List(ctx context.Context, env jobs.Env) (ListResult, error) {
	res := ListResult{Drills: []Entry{}, Problems: []string{}}
	err := each(ctx, env, func(st storage.Storage, name string, key string) error {
		b, err := storage.ReadAll(ctx, st, key)
		var r *Report
		if err == nil {
			r, err = parse(b, storage.Where(st, key))
		}
		if err != nil { // one unreadable report hides no other
			res.Problems = append(res.Problems, err.Error())
			return nil
		}
		res.Drills = append(res.Drills, Entry{ID: r.ID, Kind: cmp.Or(r.Kind, KindRestore), Drill: r.Drill, ReplicaSet: r.ReplicaSet, Storage: name, CrossSite: r.CrossSite,
			Started: r.Started, Backup: r.Backup, Passed: r.Passed, RTO: r.RTO, RPO: r.RPO, Reasons: len(r.Reasons), Where: storage.Where(st, key)})
		return nil
	}, func(problem string) { res.Problems = append(res.Problems, problem) })
	slices.SortFunc(res.Drills, func(a, b Entry) int { return cmp.Or(b.Started.Compare(a.Started), strings.Compare(b.ID, a.ID)) })
	return res, err
}

// Show finds one report by its run id; raw is the stored JSON (a
// switchover's has fields Report lacks).
func Show(ctx context.Context, env jobs.Env, id string) (rep *Report, raw json.RawMessage, err error) {
	if !manifest.ValidID(id) {
		return nil, nil, fault.Usage(fmt.Sprintf("%q is not a drill run id (like 20260102T030405Z-1a2b; see citadel drill list)", id))
	}
	var problems []string
	errFound := errors.New("found")
	err = each(ctx, env, func(st storage.Storage, _ string, key string) error {
		if !strings.HasSuffix(key, "/"+id+".json") {
			return nil
		}
		b, err := storage.ReadAll(ctx, st, key)
		if err != nil {
			return err
		}
		if rep, err = parse(b, storage.Where(st, key)); err != nil {
			return err
		}
		raw = b
		return errFound
	}, func(p string) { problems = append(problems, p) })
	switch {
	case rep != nil:
		return rep, raw, nil
	case err != nil && !errors.Is(err, errFound):
		return nil, nil, err
	case len(problems) > 0:
		return nil, nil, fmt.Errorf("no drill report %s in the storages that could be read (%s)", id, strings.Join(problems, "; "))
	}
	return nil, nil, fault.Usage(fmt.Sprintf("no drill report %s in the configured storages (see citadel drill list)", id))
}

// each calls fn for every report key of every place; a storage that
// cannot be opened or listed is a problem, not an error; fn's error
// stops the walk.
func each(ctx context.Context, env jobs.Env, fn func(st storage.Storage, name, key string) error, problem func(string)) error {
	ps, err := places(env)
	if err != nil {
		return err
	}
	opened := map[string]storage.Storage{}
	for _, p := range ps {
		st, ok := opened[p.storage]
		if !ok {
			sc := env.Config.Storage(p.storage)
			if sc == nil {
				continue // the validation names it
			}
			if st, err = backup.OpenStorage(sc); err != nil {
				problem(fmt.Sprintf("%s: %v", p.storage, err))
				continue
			}
			opened[p.storage] = st
		}
		for info, err := range st.List(ctx, layout.DrillsPrefix(p.rs)) {
			if err != nil {
				problem(fmt.Sprintf("%s: %v", p.storage, err))
				break
			}
			if !strings.HasSuffix(info.Key, ".json") {
				continue
			}
			if err := fn(st, p.storage, info.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
