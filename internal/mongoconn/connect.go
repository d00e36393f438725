package mongoconn

import (
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/noscites/citadel/config"
)

// This file is the only place citadel connects to MongoDB: a configured
// replica set by discovery, one member directly, or a URI given on the
// command line. Each takes options that adjust the client (a shorter
// server selection, a read preference) after the file's auth, TLS and
// timeouts are applied.

// Option adjusts client options before the connection is made.
type Option func(*options.ClientOptions)

// WithReadPreference sets the read preference.
func WithReadPreference(rp *readpref.ReadPref) Option {
	return func(o *options.ClientOptions) { o.SetReadPreference(rp) }
}

// Seeds are the hosts a replica-set connection starts discovery from:
// every member but arbiters, which hold no data and may be the ones
// unreachable from a client's network.
func Seeds(rs config.ReplicaSet) []string {
	var hosts []string
	for _, m := range rs.Members {
		if !m.Arbiter {
			hosts = append(hosts, m.Host)
		}
	}
	return hosts
}

// ConnectSet connects to a configured replica set by discovery.
func ConnectSet(mc config.MongoDB, rs config.ReplicaSet, role string, opts ...Option) (*mongo.Client, error) {
	o, err := Options(mc, role)
	if err != nil {
		return nil, err
	}
	o.SetHosts(Seeds(rs)).SetReplicaSet(rs.Name)
	return connect(o, "replica set "+rs.Name, opts)
}

// ConnectMember connects directly to one member, whatever its state
// (primary-preferred reads unless an option says otherwise).
func ConnectMember(mc config.MongoDB, host, role string, opts ...Option) (*mongo.Client, error) {
	o, err := Options(mc, role)
	if err != nil {
		return nil, err
	}
	o.SetHosts([]string{host}).SetDirect(true).SetReadPreference(readpref.PrimaryPreferred())
	return connect(o, host, opts)
}

// ConnectURI connects to a URI from the command line or the environment
// (a restore or ingest target outside the configuration). The URI carries
// its own credentials and TLS; the application name and the default
// timeouts are citadel's.
func ConnectURI(uri, role string, opts ...Option) (*mongo.Client, error) {
	o := options.Client().ApplyURI(uri)
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("connection URI %s: %w", Redact(uri), err)
	}
	if o.AppName == nil {
		o.SetAppName(appName("", role))
	}
	if o.ConnectTimeout == nil {
		o.SetConnectTimeout(DefaultConnectTimeout)
	}
	if o.ServerSelectionTimeout == nil {
		o.SetServerSelectionTimeout(DefaultConnectTimeout)
	}
	return connect(o, Redact(uri), opts)
}

func connect(o *options.ClientOptions, what string, opts []Option) (*mongo.Client, error) {
	for _, f := range opts {
		f(o)
	}
	c, err := mongo.Connect(o)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", what, err)
	}
	return c, nil
}

// Redact hides the password of a URI, for messages and logs.
func Redact(uri string) string {
	at := strings.LastIndex(uri, "@")
	scheme := strings.Index(uri, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return uri
	}
	cred := uri[scheme+3 : at]
	if i := strings.Index(cred, ":"); i >= 0 {
		cred = cred[:i] + ":xxxxx"
	}
	return uri[:scheme+3] + cred + uri[at:]
}
