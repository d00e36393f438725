package drill

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/mongoconn"
)

// scratch is the drill's target: a replica set of the configuration or
// a URI read from an environment variable.
type scratch struct {
	rs  *config.ReplicaSet
	uri string
	// name is how messages and the report name it (the URI redacted).
	name string
}

// production is what a drill never writes into: the replica sets the
// configuration backs up or loads datasets into, and their members.
type production struct {
	sets  map[string]bool
	hosts map[string]string // normalized host → its set
}

func productionOf(cfg *config.Config) production {
	p := production{sets: map[string]bool{}, hosts: map[string]string{}}
	add := func(name string) {
		rs := cfg.ReplicaSet(name)
		if name == "" || rs == nil {
			return
		}
		p.sets[name] = true
		for _, m := range rs.Members {
			p.hosts[normalizeHost(m.Host)] = name
		}
	}
	for _, b := range cfg.Backups {
		add(b.ReplicaSet)
	}
	if cfg.Ingest != nil {
		add(cfg.Ingest.ReplicaSet)
	}
	return p
}

// normalizeHost lowercases a host and adds mongod's default port; what
// is not a host at all is compared as written.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	if j := net.JoinHostPort(strings.TrimSpace(strings.Trim(h, "[]")), "27017"); validHostPort(j) {
		return j
	}
	return h
}

func validHostPort(s string) bool {
	_, _, err := net.SplitHostPort(s)
	return err == nil
}

// refuse says why a target named setName with these hosts is production
// (fault.ErrRefused), or returns nil.
func (p production) refuse(what, setName string, hosts []string) error {
	if p.sets[setName] {
		return fault.Refused(fmt.Sprintf("drill target %s is replica set %q, which this configuration backs up or loads: a drill restores with --drop into a scratch target only; point target.replica_set or target.uri_env at a scratch deployment", what, setName))
	}
	for _, h := range hosts {
		if set, ok := p.hosts[normalizeHost(h)]; ok {
			return fault.Refused(fmt.Sprintf("drill target %s includes %s, a member of production replica set %q: a drill restores with --drop into a scratch target only; point target.replica_set or target.uri_env at a scratch deployment", what, h, set))
		}
	}
	return nil
}

// resolveTarget finds the drill's scratch target and refuses, before
// connecting, one that names a production set or member.
func resolveTarget(cfg *config.Config, d *config.Drill, prod production, getenv func(string) string) (*scratch, error) {
	t := d.Target
	switch {
	case t.ReplicaSet != "":
		rs := cfg.ReplicaSet(t.ReplicaSet)
		if rs == nil {
			return nil, fault.Usage(fmt.Sprintf("drill %s: no replica set named %q in %s", d.Name, t.ReplicaSet, cfg.File))
		}
		s := &scratch{rs: rs, name: "replica set " + rs.Name}
		return s, prod.refuse(s.name, rs.Name, mongoconn.Seeds(*rs))
	case t.URIEnv != "":
		uri := getenv(t.URIEnv)
		if uri == "" {
			return nil, fault.Usage(fmt.Sprintf("drill %s: set %s to the scratch target's connection URI (target.uri_env in %s)", d.Name, t.URIEnv, cfg.File))
		}
		s := &scratch{uri: uri, name: mongoconn.Redact(uri)}
		o := options.Client().ApplyURI(uri)
		if err := o.Validate(); err != nil {
			return nil, fault.Usage(fmt.Sprintf("drill %s: %s holds an invalid URI %s: %v", d.Name, t.URIEnv, s.name, err))
		}
		setName := ""
		if o.ReplicaSet != nil {
			setName = *o.ReplicaSet
		}
		return s, prod.refuse(s.name, setName, o.Hosts)
	}
	return nil, fault.Usage(fmt.Sprintf("drill %s has no target: set target.replica_set or target.uri_env in %s", d.Name, cfg.File))
}

func (s *scratch) connect(mc config.MongoDB) (*mongo.Client, error) {
	if s.rs != nil {
		return mongoconn.ConnectSet(mc, *s.rs, "drill")
	}
	return mongoconn.ConnectURI(s.uri, "drill")
}

// checkLive asks the target who it is: a server that answers as a member
// of a production set, or lists a production member among its hosts, is
// refused however the configuration names it.
func (s *scratch) checkLive(ctx context.Context, c *mongo.Client, prod production) error {
	var hello struct {
		SetName  string   `bson:"setName"`
		Me       string   `bson:"me"`
		Hosts    []string `bson:"hosts"`
		Passives []string `bson:"passives"`
		Arbiters []string `bson:"arbiters"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return fmt.Errorf("ask drill target %s who it is (hello): %w", s.name, err)
	}
	hosts := slices.Concat(hello.Hosts, hello.Passives, hello.Arbiters)
	if hello.Me != "" {
		hosts = append(hosts, hello.Me)
	}
	return prod.refuse(s.name, hello.SetName, hosts)
}
