package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/noscites/citadel/config"
)

// Dialer opens MongoDB connections with the file's authentication and TLS
// settings: direct connections to one member (observation, admin commands)
// and replica-set connections (the switchover probe). Clients are cached per
// host and closed by Close.
type Dialer struct {
	mc      config.MongoDB
	log     *slog.Logger
	creds   *options.Credential
	tls     *tls.Config
	mu      sync.Mutex
	clients map[string]*mongo.Client
}

// DefaultConnectTimeout applies when mongodb.connect_timeout is not set.
const DefaultConnectTimeout = 10 * time.Second

// NewDialer resolves the password and loads the TLS files once: a missing
// secret or unreadable certificate fails here, before any command runs.
func NewDialer(mc config.MongoDB, log *slog.Logger) (*Dialer, error) {
	d := &Dialer{mc: mc, log: log, clients: map[string]*mongo.Client{}}
	if a := mc.Auth; a != nil && a.Username != "" {
		pw, err := a.Password()
		if err != nil {
			return nil, fmt.Errorf("resolve mongodb password: %w", err)
		}
		src := a.Source
		if src == "" {
			src = "admin"
		}
		d.creds = &options.Credential{AuthMechanism: a.Mechanism, AuthSource: src, Username: a.Username, Password: pw, PasswordSet: pw != ""}
	}
	if t := mc.TLS; t != nil && t.Enabled {
		cfg, err := tlsConfig(t)
		if err != nil {
			return nil, err
		}
		d.tls = cfg
	}
	return d, nil
}

func tlsConfig(t *config.TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the operator's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read mongodb tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read mongodb tls ca_file %s: no PEM certificate in it", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertKeyFile, t.CertKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read mongodb tls cert_key_file %s (certificate and key in one PEM file): %w", t.CertKeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// ConnectTimeout is the file's connect timeout or its default.
func (d *Dialer) ConnectTimeout() time.Duration {
	if d.mc.ConnectTimeout > 0 {
		return d.mc.ConnectTimeout.D()
	}
	return DefaultConnectTimeout
}

// selectTimeout bounds how long a command waits for its server: short, so a
// down member costs seconds, not the driver's default 30 s.
func (d *Dialer) selectTimeout() time.Duration {
	return min(max(d.ConnectTimeout()/2, time.Second), 5*time.Second)
}

func (d *Dialer) base() *options.ClientOptions {
	app := d.mc.AppName
	if app == "" {
		app = "citadel"
	}
	o := options.Client().SetAppName(app).SetConnectTimeout(d.ConnectTimeout()).
		SetServerSelectionTimeout(d.selectTimeout()).SetHeartbeatInterval(500 * time.Millisecond)
	if d.creds != nil {
		o.SetAuth(*d.creds)
	}
	if d.tls != nil {
		o.SetTLSConfig(d.tls)
	}
	return o
}

// Member returns a direct connection to one member, whatever its state.
func (d *Dialer) Member(host string) (*mongo.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clients[host]; ok {
		return c, nil
	}
	o := d.base().SetHosts([]string{host}).SetDirect(true).SetReadPreference(readpref.PrimaryPreferred())
	c, err := mongo.Connect(o)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", host, err)
	}
	d.clients[host] = c
	return c, nil
}

// Set returns a replica-set connection (server discovery over hosts); the
// caller closes it.
func (d *Dialer) Set(name string, hosts []string) (*mongo.Client, error) {
	c, err := mongo.Connect(d.base().SetHosts(hosts).SetReplicaSet(name))
	if err != nil {
		return nil, fmt.Errorf("connect to set %s: %w", name, err)
	}
	return c, nil
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
