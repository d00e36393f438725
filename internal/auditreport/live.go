package auditreport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongoconn"
)

// SetFacts is what citadel's own connection to a replica set (its
// credentials and TLS, primary read preference) found. Each part has its
// own error: one command refused hides nothing else.
type SetFacts struct {
	Name string
	// User is citadel's configured user ("" without credentials).
	User string
	// Err is set when the set could not be reached at all.
	Err error

	// From connectionStatus with showPrivileges: the users the server
	// says this connection is authenticated as, and their roles; from
	// usersInfo with showPrivileges, the roles they inherit.
	AuthUsers      []string
	Roles          []Role
	RolesErr       error
	InheritedRoles []Role
	UsersInfoErr   error

	// From getDefaultRWConcern.
	WC    WriteConcern
	WCErr error

	// From the first and last entries of local.oplog.rs.
	Oplog    OplogFacts
	OplogErr error
}

// Role is a role granted on a database.
type Role struct {
	Role string `bson:"role"`
	DB   string `bson:"db"`
}

func (r Role) String() string { return r.Role + "@" + r.DB }

// WriteConcern is the cluster-wide default write concern.
type WriteConcern struct {
	W        string // "majority", "1", a tag set name; "" when absent
	J        *bool
	WTimeout int64
	Source   string // "implicit" or "global"
}

// OplogFacts bound the oplog of the primary.
type OplogFacts struct {
	First, Last time.Time
	// Initiating: the first entry is the set's "initiating set" note, so
	// the oplog has never rolled over and its window is a lower bound.
	Initiating bool
}

// Window is the time span the oplog covers.
func (o OplogFacts) Window() time.Duration { return o.Last.Sub(o.First) }

// gatherSet connects to one replica set as citadel does and reads what
// the roles, write-concern and oplog checks evaluate.
func gatherSet(ctx context.Context, mc config.MongoDB, rs config.ReplicaSet) SetFacts {
	f := SetFacts{Name: rs.Name}
	if mc.Auth != nil {
		f.User = mc.Auth.Username
		if f.User == "" && mc.Auth.Mechanism == "MONGODB-X509" {
			f.User = "(x509 certificate subject)"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	client, err := mongoconn.ConnectSet(mc, rs, "audit-report")
	if err != nil {
		f.Err = err
		return f
	}
	defer client.Disconnect(context.Background())
	admin := client.Database("admin")
	if err := admin.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		f.Err = fmt.Errorf("reach the primary of %s: %w", rs.Name, err)
		return f
	}
	f.AuthUsers, f.Roles, f.RolesErr = connectionStatus(ctx, admin)
	if f.RolesErr == nil && len(f.AuthUsers) > 0 {
		f.InheritedRoles, f.UsersInfoErr = usersInfo(ctx, admin, f.AuthUsers)
	}
	f.WC, f.WCErr = defaultWriteConcern(ctx, admin)
	f.Oplog, f.OplogErr = oplogBounds(ctx, client)
	return f
}

func connectionStatus(ctx context.Context, admin *mongo.Database) ([]string, []Role, error) {
	var r struct {
		AuthInfo struct {
			Users []struct {
				User string `bson:"user"`
				DB   string `bson:"db"`
			} `bson:"authenticatedUsers"`
			Roles []Role `bson:"authenticatedUserRoles"`
		} `bson:"authInfo"`
	}
	cmd := bson.D{{Key: "connectionStatus", Value: 1}, {Key: "showPrivileges", Value: true}}
	if err := admin.RunCommand(ctx, cmd).Decode(&r); err != nil {
		return nil, nil, fmt.Errorf("connectionStatus: %w", err)
	}
	var users []string
	for _, u := range r.AuthInfo.Users {
		users = append(users, u.User+"@"+u.DB)
	}
	return users, r.AuthInfo.Roles, nil
}

// usersInfo reads the roles the authenticated users inherit.
func usersInfo(ctx context.Context, admin *mongo.Database, users []string) ([]Role, error) {
	var out []Role
	for _, u := range users {
		name, db := splitAt(u)
		var r struct {
			Users []struct {
				Inherited []Role `bson:"inheritedRoles"`
			} `bson:"users"`
		}
		cmd := bson.D{{Key: "usersInfo", Value: bson.D{{Key: "user", Value: name}, {Key: "db", Value: db}}}, {Key: "showPrivileges", Value: true}}
		if err := admin.RunCommand(ctx, cmd).Decode(&r); err != nil {
			return nil, fmt.Errorf("usersInfo %s: %w", u, err)
		}
		for _, ui := range r.Users {
			out = append(out, ui.Inherited...)
		}
	}
	return out, nil
}

func splitAt(s string) (string, string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' {
			return s[:i], s[i+1:]
		}
	}
	return s, "admin"
}

func defaultWriteConcern(ctx context.Context, admin *mongo.Database) (WriteConcern, error) {
	var r struct {
		WC     bson.Raw `bson:"defaultWriteConcern"`
		Source string   `bson:"defaultWriteConcernSource"`
	}
	if err := admin.RunCommand(ctx, bson.D{{Key: "getDefaultRWConcern", Value: 1}}).Decode(&r); err != nil {
		return WriteConcern{}, fmt.Errorf("getDefaultRWConcern: %w", err)
	}
	wc := WriteConcern{Source: r.Source}
	if r.WC == nil {
		return wc, nil
	}
	if v, err := r.WC.LookupErr("w"); err == nil {
		if s, ok := v.StringValueOK(); ok {
			wc.W = s
		} else if n, ok := v.AsInt64OK(); ok {
			wc.W = fmt.Sprint(n)
		}
	}
	if v, err := r.WC.LookupErr("j"); err == nil {
		if b, ok := v.BooleanOK(); ok {
			wc.J = &b
		}
	}
	if v, err := r.WC.LookupErr("wtimeout"); err == nil {
		wc.WTimeout, _ = v.AsInt64OK()
	}
	return wc, nil
}

// oplogBounds reads the first and last entries of the primary's oplog.
func oplogBounds(ctx context.Context, c *mongo.Client) (OplogFacts, error) {
	oplog := c.Database("local").Collection("oplog.rs")
	type entry struct {
		TS   bson.Timestamp `bson:"ts"`
		Op   string         `bson:"op"`
		O    bson.Raw       `bson:"o"`
		Wall time.Time      `bson:"wall"`
	}
	read := func(dir int) (entry, error) {
		var e entry
		err := oplog.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "$natural", Value: dir}})).Decode(&e)
		if e.Wall.IsZero() {
			e.Wall = time.Unix(int64(e.TS.T), 0).UTC()
		}
		return e, err
	}
	first, err := read(1)
	if err == nil {
		var last entry
		if last, err = read(-1); err == nil {
			var msg string
			if len(first.O) > 0 {
				msg, _ = first.O.Lookup("msg").StringValueOK()
			}
			return OplogFacts{First: first.Wall, Last: last.Wall, Initiating: first.Op == "n" && msg == "initiating set"}, nil
		}
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		err = errors.New("the oplog is empty")
	}
	return OplogFacts{}, fmt.Errorf("read local.oplog.rs: %w", err)
}
