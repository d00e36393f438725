package drill

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/archive"
	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/mongoconn"
)

// SwitchoverRequest rehearses a switchover of a replica set to its other
// site and back, under a probe writer.
type SwitchoverRequest struct {
	ReplicaSet string
	// CatchUp is each switchover's catch-up wait (default 10s).
	CatchUp time.Duration
	// Interval is the probe writer's pace (default 20ms); MinWrites the
	// writes it attempts at least (default 1000).
	Interval  time.Duration
	MinWrites int
	ID        string
}

// Leg is one direction of the rehearsal.
type Leg struct {
	FromSite    string        `json:"from_site"`
	ToSite      string        `json:"to_site"`
	NewPrimary  string        `json:"new_primary"`
	Took        time.Duration `json:"took_ns"`
	Unavailable time.Duration `json:"write_unavailable_ns"`
}

// MemberCheck is the read-back of the acknowledged writes on one member.
type MemberCheck struct {
	Host    string  `json:"host"`
	Found   int     `json:"found"`
	Missing []int64 `json:"missing"`
}

// SwitchoverReport is the evidence of a rehearsal, stored like a restore
// drill's report (kind "switchover").
type SwitchoverReport struct {
	Format       int           `json:"format"`
	Kind         string        `json:"kind"`
	ID           string        `json:"id"`
	Drill        string        `json:"drill"`
	ReplicaSet   string        `json:"replica_set"`
	Started      time.Time     `json:"started"`
	Finished     time.Time     `json:"finished"`
	Legs         []Leg         `json:"legs"`
	Attempted    int           `json:"writes_attempted"`
	Acknowledged int           `json:"writes_acknowledged"`
	Lost         int           `json:"writes_lost"`
	Members      []MemberCheck `json:"members"`
	Passed       bool          `json:"passed"`
	Reasons      []string      `json:"reasons"`
	Location     string        `json:"location"`
	Key          string        `json:"key"`
	Summary      []string      `json:"summary"`
}

// Switchover switches the set's primary to the other site and back while
// a probe writer inserts with w:majority into citadel_drill.probe_<run>;
// then it reads every acknowledged write back from every data member,
// drops the probe collection, and stores the report in the storage of
// the set's first backup job. Lost or missing writes fail it
// (fault.ErrVerification); a switchover refused by its preflight returns
// that refusal (fault.ErrRefused) with the report.
func Switchover(ctx context.Context, env jobs.Env, req SwitchoverRequest) (*SwitchoverReport, error) {
	cfg := env.Config
	if cfg == nil {
		return nil, fault.Usage("a switchover drill needs the configuration file (--config FILE or CITADEL_CONFIG)")
	}
	rs := cfg.ReplicaSet(req.ReplicaSet)
	if rs == nil {
		return nil, fault.Usage(fmt.Sprintf("drill switchover: no replica set named %q in %s", req.ReplicaSet, cfg.File))
	}
	d, err := cluster.NewDialer(cfg.MongoDB, env.Log)
	if err != nil {
		return nil, err
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mgr := cluster.NewManager(d, log, env.Audit)
	defer mgr.Close(context.WithoutCancel(ctx))
	st, err := mgr.Observe(ctx, rs)
	if err != nil {
		return nil, err
	}
	home, away, err := sites(rs, st.Primary)
	if err != nil {
		return nil, err
	}
	client, err := mongoconn.ConnectSet(cfg.MongoDB, *rs, "drill-switchover")
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.WithoutCancel(ctx))
	start := time.Now()
	rep := &SwitchoverReport{Format: Format, Kind: KindSwitchover, ID: cmp.Or(req.ID, layout.NewID(start)), Drill: "switchover", ReplicaSet: rs.Name,
		Started: start.UTC(), Legs: []Leg{}, Members: []MemberCheck{}, Reasons: []string{}}
	coll := "probe_" + strings.ReplaceAll(rep.ID, "-", "_")
	r := &switchRun{mgr: mgr, client: client, mc: cfg.MongoDB, rs: rs, req: req, rep: rep, coll: coll, home: home, away: away}
	err = r.rehearse(ctx)
	if derr := client.Database(ProbeDB).Collection(coll).Drop(context.WithoutCancel(ctx)); derr != nil {
		rep.Reasons = append(rep.Reasons, fmt.Sprintf("probe collection %s.%s was not dropped: %v", ProbeDB, coll, derr))
	}
	return finishSwitchover(ctx, cfg, rep, err)
}

// sites returns the primary's site and the other site with an electable
// member.
func sites(rs *config.ReplicaSet, primary string) (home, away string, err error) {
	for _, m := range rs.Members {
		if normalizeHost(m.Host) == normalizeHost(primary) {
			home = m.Site
		}
	}
	if home == "" {
		return "", "", fmt.Errorf("drill switchover: the primary %q of %s is not a member of %s in the configuration", primary, rs.Name, rs.Name)
	}
	for _, m := range rs.Members {
		if m.Site != home && m.Electable() {
			return home, m.Site, nil
		}
	}
	return "", "", fault.Refused(fmt.Sprintf("drill switchover: %s has no electable member outside %s: nothing to switch over to", rs.Name, home))
}

// switchRun is one rehearsal in progress.
type switchRun struct {
	mgr        *cluster.Manager
	client     *mongo.Client // the set, for the writer
	mc         config.MongoDB
	rs         *config.ReplicaSet
	req        SwitchoverRequest
	rep        *SwitchoverReport
	coll       string
	home, away string
}

// rehearse runs the writer through both switchovers, then checks every
// member.
func (r *switchRun) rehearse(ctx context.Context) error {
	interval, minWrites, catchUp := cmp.Or(r.req.Interval, 20*time.Millisecond), cmp.Or(r.req.MinWrites, 1000), cmp.Or(r.req.CatchUp, 10*time.Second)
	w := startWriter(ctx, r.client, r.coll, interval)
	var bounds [][2]time.Time
	var err error
	for _, leg := range [][2]string{{r.home, r.away}, {r.away, r.home}} {
		legStart := time.Now()
		var sr *cluster.SwitchoverReport
		if sr, err = r.mgr.Switchover(ctx, r.rs, leg[1], catchUp); err != nil {
			err = fmt.Errorf("switchover from %s to %s: %w", leg[0], leg[1], err)
			break
		}
		r.rep.Legs = append(r.rep.Legs, Leg{FromSite: leg[0], ToSite: leg[1], NewPrimary: sr.NewPrimary, Took: sr.Took.D()})
		bounds = append(bounds, [2]time.Time{legStart, time.Now()})
	}
	deadline := time.Now().Add(time.Duration(minWrites) * interval * 4)
	for a, _ := w.counts(); err == nil && a < minWrites && time.Now().Before(deadline); a, _ = w.counts() {
		time.Sleep(interval)
	}
	attempted, acked, at := w.finish()
	r.rep.Attempted, r.rep.Acknowledged = attempted, len(acked)
	for i := range r.rep.Legs {
		r.rep.Legs[i].Unavailable = longestGap(at, bounds[i][0], bounds[i][1])
	}
	if err != nil {
		return err
	}
	if attempted < minWrites {
		r.rep.Reasons = append(r.rep.Reasons, fmt.Sprintf("only %d probe writes were attempted, fewer than the %d asked", attempted, minWrites))
	}
	return r.readBack(ctx, acked)
}

// readBack reads the probe collection from every data member, waiting up
// to 30 s for a member to hold every acknowledged write. A write missing
// from the primary is lost; one missing from another member is a reason
// too (a majority write every member should have).
func (r *switchRun) readBack(ctx context.Context, acked []int64) error {
	primary := ""
	for _, m := range r.rs.Members {
		if m.Arbiter {
			continue
		}
		c, err := mongoconn.ConnectMember(r.mc, m.Host, "drill-switchover", mongoconn.WithReadPreference(readpref.PrimaryPreferred()))
		if err != nil {
			return err
		}
		check, isPrimary, err := r.member(ctx, c, m.Host, acked)
		c.Disconnect(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
		r.rep.Members = append(r.rep.Members, check)
		if len(check.Missing) > 0 {
			r.rep.Reasons = append(r.rep.Reasons, fmt.Sprintf("%s lacks %d of the %d acknowledged writes (first: %v)", m.Host, len(check.Missing), len(acked), check.Missing[:min(5, len(check.Missing))]))
		}
		if isPrimary {
			primary, r.rep.Lost = m.Host, len(check.Missing)
		}
	}
	if primary == "" {
		r.rep.Reasons = append(r.rep.Reasons, "no member answered as primary after the switchovers")
	}
	return nil
}

// member reads one member's probe documents until it holds every
// acknowledged write or 30 s have passed.
func (r *switchRun) member(ctx context.Context, c *mongo.Client, host string, acked []int64) (MemberCheck, bool, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var hello struct {
			IsWritablePrimary bool `bson:"isWritablePrimary"`
		}
		if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
			return MemberCheck{}, false, fmt.Errorf("ask %s: %w", host, err)
		}
		found, err := probeIDs(ctx, c.Database(ProbeDB).Collection(r.coll))
		if err != nil {
			return MemberCheck{}, false, fmt.Errorf("read back from %s: %w", host, err)
		}
		gone := missing(acked, found)
		if len(gone) == 0 || time.Now().After(deadline) {
			return MemberCheck{Host: host, Found: len(acked) - len(gone), Missing: gone}, hello.IsWritablePrimary, nil
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func probeIDs(ctx context.Context, c *mongo.Collection) (map[int64]bool, error) {
	cur, err := c.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	out := map[int64]bool{}
	for cur.Next(ctx) {
		if v, err := cur.Current.LookupErr("_id"); err == nil && v.IsNumber() {
			out[v.AsInt64()] = true
		}
	}
	return out, cur.Err()
}

// finishSwitchover decides the outcome and stores the report (in the
// storage of the set's first backup job, when it has one).
func finishSwitchover(ctx context.Context, cfg *config.Config, rep *SwitchoverReport, err error) (*SwitchoverReport, error) {
	if err != nil {
		rep.Reasons = append(rep.Reasons, err.Error())
	}
	rep.Passed = len(rep.Reasons) == 0
	rep.Finished = time.Now().UTC()
	rep.Key = layout.DrillKey(rep.ReplicaSet, rep.ID)
	var saveErr error
	if b := backupOf(cfg, rep.ReplicaSet); b != nil {
		var dest archive.Destination
		if dest, saveErr = backup.Destination(nil, cfg.Storage(b.Storage)); saveErr == nil {
			rep.Location = dest.Storage.String()
			rep.Summary = rep.Lines()
			saveErr = putJSON(ctx, dest, rep.Key, rep, time.Time{})
		}
	} else {
		rep.Key = ""
		rep.Summary = rep.Lines()
	}
	switch {
	case err != nil && !isVerification(err):
		return rep, fmt.Errorf("drill switchover of %s could not complete: %w", rep.ReplicaSet, err)
	case saveErr != nil:
		return rep, fmt.Errorf("drill switchover of %s ran (passed: %v) but its report was not stored: %w", rep.ReplicaSet, rep.Passed, saveErr)
	case !rep.Passed:
		return rep, fault.Verification(fmt.Sprintf("drill switchover of %s failed: %s", rep.ReplicaSet, strings.Join(rep.Reasons, "; ")))
	}
	return rep, nil
}

func backupOf(cfg *config.Config, rs string) *config.Backup {
	for i := range cfg.Backups {
		if cfg.Backups[i].ReplicaSet == rs && cfg.Storage(cfg.Backups[i].Storage) != nil {
			return &cfg.Backups[i]
		}
	}
	return nil
}

// Lines is the short human summary.
func (r *SwitchoverReport) Lines() []string {
	verdict := "PASSED"
	if !r.Passed {
		verdict = "FAILED"
	}
	out := []string{fmt.Sprintf("drill switchover of %s %s (run %s)", r.ReplicaSet, verdict, r.ID)}
	for _, l := range r.Legs {
		out = append(out, fmt.Sprintf("%s → %s: new primary %s after %s, writes unavailable %s", l.FromSite, l.ToSite, l.NewPrimary, round(l.Took), round(l.Unavailable)))
	}
	out = append(out, fmt.Sprintf("probe writes (w:majority): %d attempted, %d acknowledged, %d lost; read back from %d member(s)", r.Attempted, r.Acknowledged, r.Lost, len(r.Members)))
	for _, why := range r.Reasons {
		out = append(out, "reason: "+why)
	}
	if r.Key != "" {
		out = append(out, "report: "+r.Location+"/"+r.Key)
	}
	return out
}
