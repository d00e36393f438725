package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/mongoconn"
)

// Dialer opens MongoDB connections through internal/mongoconn (the one
// place citadel connects, with the file's authentication and TLS), each
// with a short server selection and fast heartbeats: direct connections to
// one member (observation, admin commands) and replica-set connections
// (the switchover probe, the failover's w:majority write). Member clients
// are cached per host and closed by Close.
type Dialer struct {
	mc      config.MongoDB
	log     *slog.Logger
	mu      sync.Mutex
	clients map[string]*mongo.Client
	opts    []mongoconn.Option // after quick(); tests add a command monitor
}

// DefaultConnectTimeout applies when mongodb.connect_timeout is not set.
const DefaultConnectTimeout = mongoconn.DefaultConnectTimeout

// NewDialer resolves the password and loads the TLS files once: a missing
// secret or unreadable certificate fails here, before any command runs.
func NewDialer(mc config.MongoDB, log *slog.Logger) (*Dialer, error) {
	if _, err := mongoconn.Options(mc, ""); err != nil {
		return nil, err
	}
	return &Dialer{mc: mc, log: log, clients: map[string]*mongo.Client{}}, nil
}

// ConnectTimeout is the file's connect timeout or its default.
func (d *Dialer) ConnectTimeout() time.Duration { return mongoconn.ConnectTimeout(d.mc) }

// selectTimeout bounds how long a command waits for its server: short, so a
// down member costs seconds, not the connect timeout.
func (d *Dialer) selectTimeout() time.Duration {
	return min(max(d.ConnectTimeout()/2, time.Second), 5*time.Second)
}

// quick adjusts every cluster connection: a short server selection, and
// fast heartbeats so elections are seen quickly.
func (d *Dialer) quick() mongoconn.Option {
	return func(o *options.ClientOptions) {
		o.SetServerSelectionTimeout(d.selectTimeout()).SetHeartbeatInterval(500 * time.Millisecond)
	}
}

// Member returns a direct connection to one member, whatever its state.
func (d *Dialer) Member(host string) (*mongo.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clients[host]; ok {
		return c, nil
	}
	c, err := mongoconn.ConnectMember(d.mc, host, "", append([]mongoconn.Option{d.quick()}, d.opts...)...)
	if err != nil {
		return nil, err
	}
	d.clients[host] = c
	return c, nil
}

// Set returns a replica-set connection (server discovery from the set's
// data members); the caller closes it.
func (d *Dialer) Set(rs config.ReplicaSet) (*mongo.Client, error) {
	return mongoconn.ConnectSet(d.mc, rs, "", append([]mongoconn.Option{d.quick()}, d.opts...)...)
}

// Close closes every cached client.
func (d *Dialer) Close(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for h, c := range d.clients {
		if err := c.Disconnect(ctx); err != nil {
			errs = append(errs, fmt.Errorf("disconnect %s: %w", h, err))
		}
	}
	d.clients = map[string]*mongo.Client{}
	return errors.Join(errs...)
}
