package statuspage

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/noscites/citadel/cluster"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/internal/units"
)

// Input is everything the page shows, gathered by the handler: the live
// observation of the replica sets and this node's replicated records.
type Input struct {
	Now time.Time
	// Node is this coordinator node; Leader the leader's id ("" unknown).
	Node, Site, Leader string
	// Sets are the observed replica sets (cluster.Manager.Status), with
	// when and any error of the observation.
	Sets       []*cluster.State
	ObservedAt time.Time
	ObserveErr string
	Jobs       []JobInput
	Catalog    []store.CatalogEntry // newest first (FSM.Catalog)
	Drills     []store.DrillRecord  // newest first (FSM.Drills)
	PITR       []store.PITRState
	// Limits are the configured max_rto/max_rpo of each drill by name;
	// Slices the configured PITR slice of each replica set.
	Limits map[string]Limit
	Slices map[string]time.Duration
	// Refresh is the meta refresh period.
	Refresh time.Duration
}

// JobInput is one job with its replicated state and newest finished run.
type JobInput struct {
	Job   store.Job
	State store.JobState
	// Last is the newest finished run (nil: none yet); Running the run
	// in progress (nil: none).
	Last, Running *store.Run
}

// Limit is a drill's configured limits (0: none).
type Limit struct{ MaxRTO, MaxRPO time.Duration }

// View is what the template renders: strings ready to print and flags
// for what is wrong.
type View struct {
	Generated, Node, Leader string
	Refresh                 int
	Problems                []string
	ObserveErr              string
	Sets                    []SetView
	Jobs                    []JobRow
	Backups                 []BackupRow
	Chart                   Chart
	PITR                    []PITRRow
	Drills                  []DrillRow
}

// SetView is one replica set: its members by site and the site-loss analysis.
type SetView struct {
	Name, Summary, Oplog, Votes, Problem string
	Bad                                  bool
	Sites                                []SiteView
	Losses                               []LossRow
}

// SiteView is one site's members.
type SiteView struct {
	Site    string
	Members []MemberRow
}

// MemberRow is one member.
type MemberRow struct {
	Host, State, Health, Lag, Priority, Votes, Note string
	Bad                                             bool
}

// LossRow is one sentence of the site-loss analysis; Bad when the set
// would have no primary.
type LossRow struct {
	Text string
	Bad  bool
}

// JobRow is one job; failing ones come first.
type JobRow struct {
	Name, Kind, Status, LastSuccess, Next, Error string
	Failing, Running                             bool
}

// BackupRow is one backup with the storages holding it.
type BackupRow struct {
	ID, ReplicaSet, Time, Age, Size string
	Storages                        []string
	Copies                          int
	Bytes                           int64
	at                              time.Time
}

// PITRRow is one replica set's continuous archive.
type PITRRow struct {
	ReplicaSet, Lag, Source, Position, Error string
	Restarts                                 int
	Stale                                    bool
}

// DrillRow is one drill run against its limits.
type DrillRow struct {
	ID, Drill, End, Age, RTO, MaxRTO, RPO, MaxRPO string
	Passed, RTOBreached, RPOBreached              bool
}

// Shown bounds the tables.
const (
	shownBackups = 20
	shownDrills  = 10
)

// Build computes the view: a pure function of the input, so the rules
// (failing jobs first, limits breached flagged) are unit-tested.
func Build(in Input) View {
	v := View{Generated: in.Now.UTC().Format(time.RFC3339), Node: in.Node, Leader: cmp.Or(in.Leader, "none known"),
		Refresh: int(in.Refresh.Seconds()), ObserveErr: in.ObserveErr}
	if in.Site != "" {
		v.Node += " (" + in.Site + ")"
	}
	for _, st := range in.Sets {
		v.Sets = append(v.Sets, setView(st))
	}
	v.Jobs = jobRows(in)
	v.Backups = backupRows(in)
	v.Chart = chart(v.Backups)
	v.PITR = pitrRows(in)
	v.Drills = drillRows(in)
	v.Problems = problems(v)
	return v
}

func setView(st *cluster.State) SetView {
	sv := SetView{Name: st.Name}
	switch {
	case st.Unknown():
		sv.Problem, sv.Bad = "state unknown: could not reach "+strings.Join(st.Unreachable, ", "), true
	case !st.Initiated:
		sv.Problem, sv.Bad = "not initiated (citadel cluster apply --rs "+st.Name+" initiates it)", true
	}
	if st.Initiated {
		primary := "NONE"
		if st.Primary != "" {
			primary = st.Primary + " (" + cmp.Or(st.SiteOf(st.Primary), "?") + ")"
		} else {
			sv.Bad = true
		}
		ver := 0
		if st.Config != nil {
			ver = st.Config.Version
		}
		sv.Summary = fmt.Sprintf("primary %s · config version %d · term %d", primary, ver, st.Term)
	}
	if span := st.Oplog.Span(); span > 0 {
		sv.Oplog = fmt.Sprintf("%s (%s → %s, on %s)", human(span), st.Oplog.First.UTC().Format(time.RFC3339),
			st.Oplog.Last.UTC().Format(time.RFC3339), st.Oplog.Host)
	}
	bySite := map[string]int{}
	for _, m := range st.Members {
		site := cmp.Or(m.Site, "unknown")
		i, ok := bySite[site]
		if !ok {
			i = len(sv.Sites)
			bySite[site] = i
			sv.Sites = append(sv.Sites, SiteView{Site: site})
		}
		sv.Sites[i].Members = append(sv.Sites[i].Members, memberRow(m))
	}
	if st.Config != nil {
		rep := cluster.AnalyzeSites(st)
		var parts []string
		for _, l := range rep.Losses {
			parts = append(parts, fmt.Sprintf("%s %d", l.Site, l.Votes))
			sv.Losses = append(sv.Losses, LossRow{Text: cluster.LossSentence(st.Name, rep, l, st.Sites()), Bad: !l.KeepsPrimary && l.Votes > 0})
		}
		sv.Votes = fmt.Sprintf("votes: %s of %d; a primary needs %d", strings.Join(parts, ", "), rep.Voters, rep.Majority)
		if rep.MajoritySite != "" {
			sv.Votes += "; " + rep.MajoritySite + " holds the voting majority"
		}
	}
	return sv
}

func memberRow(m cluster.MemberState) MemberRow {
	r := MemberRow{Host: m.Host, State: cmp.Or(m.State, "-"), Health: "ok", Lag: "-", Priority: "-", Votes: "-", Note: m.Error}
	switch {
	case m.Health:
	case m.Reachable:
		r.Health, r.Bad = "cut off", true
	default:
		r.Health, r.Bad = "down", true
	}
	if m.LagKnown && m.State != "PRIMARY" && !m.Arbiter {
		r.Lag = human(m.Lag.D())
	}
	if m.InConfig {
		r.Priority, r.Votes = strconv.FormatFloat(m.Priority, 'g', -1, 64), strconv.Itoa(m.Votes)
	}
	var notes []string
	if m.Hidden {
		notes = append(notes, "hidden")
	}
	if m.Arbiter {
		notes = append(notes, "arbiter")
	}
	if r.Note != "" {
		notes = append(notes, r.Note)
	}
	r.Note = strings.Join(notes, ", ")
	return r
}

// jobRows lists the jobs, failing first (most consecutive failures
// first), then running, then the others, by name within each group.
func jobRows(in Input) []JobRow {
	rows := make([]JobRow, 0, len(in.Jobs))
	fails := map[string]int{}
	for _, j := range in.Jobs {
		r := JobRow{Name: j.Job.Name, Kind: j.Job.Kind, Status: "never run", LastSuccess: "never"}
		if !j.State.LastSuccess.IsZero() {
			r.LastSuccess = human(in.Now.Sub(j.State.LastSuccess)) + " ago"
		}
		if j.Last != nil {
			r.Status = j.Last.State
			if j.Last.State == store.RunFailed {
				r.Error = j.Last.Error
			}
		}
		if j.State.Failures > 0 {
			r.Failing = true
			r.Status = fmt.Sprintf("FAILING (%d in a row)", j.State.Failures)
			fails[r.Name] = j.State.Failures
		}
		if j.Running != nil {
			r.Running = true
			r.Status += " · running since " + j.Running.Start.UTC().Format("15:04:05")
		}
		rows = append(rows, r)
	}
	rank := func(r JobRow) int {
		switch {
		case r.Failing:
			return 0
		case r.Running:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(rows, func(a, b JobRow) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(fails[b.Name], fails[a.Name]), cmp.Compare(a.Name, b.Name))
	})
	return rows
}

// backupRows groups the catalog entries of one backup (its storage and
// its copies), newest first (the 20 newest of the catalog's order).
func backupRows(in Input) []BackupRow {
	var rows []BackupRow
	at := map[string]int{}
	for _, e := range in.Catalog {
		if !e.Complete {
			continue
		}
		k := e.ReplicaSet + "/" + e.ID
		i, ok := at[k]
		if !ok {
			if len(rows) == shownBackups {
				continue
			}
			i = len(rows)
			at[k] = i
			rows = append(rows, BackupRow{ID: e.ID, ReplicaSet: e.ReplicaSet, Time: e.Time.UTC().Format("2006-01-02 15:04:05Z"),
				Age: human(in.Now.Sub(e.Time)) + " ago", Bytes: e.Size, Size: units.Bytes(e.Size), at: e.Time})
		}
		rows[i].Storages = append(rows[i].Storages, e.Storage)
		rows[i].Copies = len(rows[i].Storages) - 1
	}
	for i := range rows {
		slices.Sort(rows[i].Storages)
	}
	// Two backups with no write between them end at the same oplog time:
	// the id (its start time, then its token) orders them.
	slices.SortStableFunc(rows, func(a, b BackupRow) int { return cmp.Or(b.at.Compare(a.at), cmp.Compare(b.ID, a.ID)) })
	return rows
}

func limit(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return human(d)
}

// human prints a duration for a table: 850ms, 12.4s, 3m2s, 3h2m, 2d4h.
func human(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		h := int(d.Hours())
		return fmt.Sprintf("%dh%dm", h, int(d.Minutes())-60*h)
	}
	days := int(d.Hours()) / 24
	return fmt.Sprintf("%dd%dh", days, int(d.Hours())-24*days)
}
