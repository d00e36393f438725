package cluster

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/config"
)

// PrepareRejoin builds the config that brings the members of a returning
// site back after a failover: the live config plus the site's members as the
// file declares them, except that their priority is kept below the current
// primary's, so they come back as secondaries and the primary stays where
// the failover put it (a later switchover restores the file's priorities).
// It refuses without a primary and while a member of the site does not
// answer. An empty result (nil) means every member of the site is already in
// the set.
func PrepareRejoin(st *State, file *config.ReplicaSet, site string) (*Config, error) {
	if !slices.ContainsFunc(file.Members, func(m config.Member) bool { return m.Site == site }) {
		return nil, fmt.Errorf("%w: set %s has no member in site %q in the file", ErrUnknownSite, file.Name, site)
	}
	if st.Config == nil || st.Primary == "" {
		return nil, fmt.Errorf("%w: set %s has no primary; rejoin adds members through the primary", ErrNoPrimary, st.Name)
	}
	var missing []config.Member
	var down []string
	for _, fm := range file.Members {
		if fm.Site != site || st.Config.Member(fm.Host) != nil {
			continue
		}
		if ms := st.Member(fm.Host); ms == nil || !ms.Reachable {
			down = append(down, fm.Host)
			continue
		}
		missing = append(missing, fm)
	}
	if len(down) > 0 {
		return nil, fmt.Errorf("%w: %s of site %s do not answer; start mongod there (with its old data) and rerun rejoin",
			ErrUnreachable, strings.Join(down, ", "), site)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	capPri := st.Config.Member(st.Primary).Priority / 2
	rs := &config.ReplicaSet{Name: st.Config.ID}
	for _, m := range st.Config.Members {
		rs.Members = append(rs.Members, config.Member{Host: m.Host})
	}
	for i := range missing {
		missing[i].Priority = ptr(math.Min(missing[i].EffectivePriority(), capPri))
		missing[i].ID = nil // the old _id may be taken by now: take a free one
		rs.Members = append(rs.Members, missing[i])
	}
	ids, err := assignIDs(rs, st.Config)
	if err != nil {
		return nil, err
	}
	desired := st.Config.Clone()
	for i := range desired.Members {
		desired.Members[i].NewlyAdded = nil
	}
	for i, fm := range missing {
		desired.Members = append(desired.Members, memberDoc(fm, ids[len(st.Config.Members)+i], nil))
	}
	sortMembers(desired.Members)
	desired.Version, desired.Term = st.Config.Version+1, 0
	return desired, nil
}

func ptr[T any](v T) *T { return &v }

// OplogEntry is the part of an oplog entry a rollback report needs.
type OplogEntry struct {
	TS   OpTime    `json:"optime"`
	Op   string    `json:"op"`
	NS   string    `json:"ns"`
	Wall time.Time `json:"wall,omitzero"`
	// ID is the _id of the document an insert, update or delete writes;
	// Image the whole document after it when the entry holds it (an
	// insert, or an update logged as a replacement; not a $v:2 diff).
	ID    bson.RawValue `json:"-"`
	Image bson.Raw      `json:"-"`
}

// RollbackReport describes the writes a returning member holds that the
// set's primary does not have: mongod rolls them back when the member
// rejoins and keeps them in its dbPath's rollback directory.
type RollbackReport struct {
	Host      string         `json:"host"`
	Entries   int            `json:"entries"`
	ByNS      map[string]int `json:"by_namespace"`
	ByOp      map[string]int `json:"by_op"`
	First     time.Time      `json:"first,omitzero"`
	Last      time.Time      `json:"last,omitzero"`
	CommonTS  OpTime         `json:"common_point"`
	Truncated bool           `json:"truncated"`
	// Unexamined: what the member will roll back is not known in full
	// (Why says what is missing); rejoin refuses it without
	// --accept-unexamined.
	Unexamined bool   `json:"unexamined,omitempty"`
	Why        string `json:"why,omitempty"`
	// Saved is how many of the documents it will roll back were saved
	// (RejoinReport.RollbackSavedTo says where).
	Saved int `json:"saved_documents"`
}

// SummarizeRollback summarizes the divergent entries of one member, found
// by walking its oplog backwards until an entry the primary also holds.
func SummarizeRollback(host string, divergent []OplogEntry, common OpTime, truncated bool) RollbackReport {
	r := RollbackReport{Host: host, Entries: len(divergent), ByNS: map[string]int{}, ByOp: map[string]int{}, CommonTS: common, Truncated: truncated}
	for _, e := range divergent {
		if e.Op == "n" { // no-op entries carry no data
			r.Entries--
			continue
		}
		r.ByNS[e.NS]++
		r.ByOp[opName(e.Op)]++
		if !e.Wall.IsZero() && (r.First.IsZero() || e.Wall.Before(r.First)) {
			r.First = e.Wall
		}
		if e.Wall.After(r.Last) {
			r.Last = e.Wall
		}
	}
	return r
}

// Sentence says in words what will be rolled back on one member.
func (r RollbackReport) Sentence() string {
	switch {
	case r.Unexamined && r.Why != "":
		return fmt.Sprintf("%s: what it will roll back is not known in full: %s", r.Host, r.Why)
	case r.Unexamined:
		return fmt.Sprintf("%s: its oplog could not be read; check its rollback directory after it rejoins", r.Host)
	case r.Entries == 0:
		return fmt.Sprintf("%s: nothing to roll back", r.Host)
	}
	var parts []string
	for _, ns := range slices.Sorted(maps.Keys(r.ByNS)) {
		parts = append(parts, fmt.Sprintf("%s %d", ns, r.ByNS[ns]))
	}
	more := ""
	if r.Truncated {
		more = " (at least)"
	}
	return fmt.Sprintf("%s: %d write(s)%s from %s to %s will be rolled back (%s); mongod keeps them under <dbPath>/rollback on that host",
		r.Host, r.Entries, more, r.First.UTC().Format(time.RFC3339), r.Last.UTC().Format(time.RFC3339), strings.Join(parts, ", "))
}

func opName(op string) string {
	switch op {
	case "i":
		return "insert"
	case "u":
		return "update"
	case "d":
		return "delete"
	case "c":
		return "command"
	}
	return op
}
