package backup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/mongoconn"
)

// Member is a replica-set member as configured and as seen live.
type Member struct {
	Host    string
	Site    string
	Hidden  bool
	State   string // PRIMARY, SECONDARY, … from replSetGetStatus
	Healthy bool
}

// ErrNoSource means no member may serve the backup.
var ErrNoSource = errors.New("no member can serve the backup")

// ChooseSource picks the member a backup reads from: a healthy hidden
// secondary in the storage's site, then any healthy secondary there, then
// a secondary elsewhere, and the primary only when allowed. prefer
// "secondary" skips the hidden-first step; "primary" (with allow) takes the
// primary first.
func ChooseSource(members []Member, site string, src config.Source) (Member, error) {
	var tiers [][]func(Member) bool
	sameSite := func(m Member) bool { return site == "" || m.Site == site }
	hidden := func(m Member) bool { return m.State == "SECONDARY" && m.Hidden && sameSite(m) }
	localSec := func(m Member) bool { return m.State == "SECONDARY" && sameSite(m) }
	anySec := func(m Member) bool { return m.State == "SECONDARY" }
	primary := func(m Member) bool { return m.State == "PRIMARY" && src.AllowPrimary }
	switch src.Prefer {
	case "primary":
		tiers = [][]func(Member) bool{{primary}, {hidden}, {localSec}, {anySec}}
	case "secondary":
		tiers = [][]func(Member) bool{{localSec}, {anySec}, {primary}}
	default:
		tiers = [][]func(Member) bool{{hidden}, {localSec}, {anySec}, {primary}}
	}
	for _, tier := range tiers {
		for _, ok := range tier {
			for _, m := range members {
				if m.Healthy && ok(m) {
					return m, nil
				}
			}
		}
	}
	var seen []string
	for _, m := range members {
		seen = append(seen, fmt.Sprintf("%s %s", m.Host, m.State))
	}
	msg := fmt.Sprintf("%v: members %s", ErrNoSource, strings.Join(seen, ", "))
	if !src.AllowPrimary {
		msg += " (the primary is used only with source.allow_primary: true)"
	}
	return Member{}, fault.Refused(msg)
}

// ConnectSet connects to a configured replica set (discovery by set name).
func ConnectSet(cfg *config.Config, rs *config.ReplicaSet) (*mongo.Client, error) {
	return mongoconn.ConnectSet(cfg.MongoDB, *rs, "backup")
}

// ConnectSource finds the live state of the set, chooses the source member
// for a backup to a storage in site, and connects to it directly.
func ConnectSource(ctx context.Context, cfg *config.Config, rs *config.ReplicaSet, site string, src config.Source) (*mongo.Client, manifest.Source, error) {
	set, err := ConnectSet(cfg, rs)
	if err != nil {
		return nil, manifest.Source{}, err
	}
	defer set.Disconnect(context.WithoutCancel(ctx))
	var status struct {
		Members []struct {
			Name     string  `bson:"name"`
			StateStr string  `bson:"stateStr"`
			Health   float64 `bson:"health"`
		} `bson:"members"`
	}
	err = set.Database("admin").RunCommand(ctx, bson.D{{Key: "replSetGetStatus", Value: 1}},
		options.RunCmd().SetReadPreference(readpref.PrimaryPreferred())).Decode(&status)
	if err != nil {
		return nil, manifest.Source{}, fmt.Errorf("replSetGetStatus on %s: %w", rs.Name, err)
	}
	var members []Member
	for _, s := range status.Members {
		m := Member{Host: s.Name, State: s.StateStr, Healthy: s.Health > 0}
		if i := slices.IndexFunc(rs.Members, func(c config.Member) bool { return c.Host == s.Name }); i >= 0 {
			m.Site, m.Hidden = rs.Members[i].Site, rs.Members[i].Hidden
		}
		members = append(members, m)
	}
	chosen, err := ChooseSource(members, site, src)
	if err != nil {
		return nil, manifest.Source{}, err
	}
	c, err := mongoconn.ConnectMember(cfg.MongoDB, chosen.Host, "backup", mongoconn.WithReadPreference(readpref.Nearest()))
	if err != nil {
		return nil, manifest.Source{}, err
	}
	return c, manifest.Source{Host: chosen.Host, Hidden: chosen.Hidden, Site: chosen.Site, State: chosen.State}, nil
}
