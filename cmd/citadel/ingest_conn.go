package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/noscites/citadel/config"
)

// clientOptions applies the config's mongodb section (authentication with
// the password from its variable or file, TLS, timeouts, app name).
func clientOptions(mc config.MongoDB) (*options.ClientOptions, error) {
	app := mc.AppName
	if app == "" {
		app = "citadel"
	}
	timeout := 10 * time.Second
	if mc.ConnectTimeout > 0 {
		timeout = mc.ConnectTimeout.D()
	}
	o := options.Client().SetAppName(app + "-ingest").SetConnectTimeout(timeout).SetServerSelectionTimeout(timeout)
	if a := mc.Auth; a != nil && a.Username != "" {
		pw, err := a.Password()
		if err != nil {
			return nil, fmt.Errorf("resolve mongodb password: %w", err)
		}
		src := a.Source
		if src == "" {
			src = "admin"
		}
		o.SetAuth(options.Credential{AuthMechanism: a.Mechanism, AuthSource: src, Username: a.Username, Password: pw, PasswordSet: pw != ""})
	}
	if t := mc.TLS; t != nil && t.Enabled {
		cfg, err := mongoTLS(t)
		if err != nil {
			return nil, err
		}
		o.SetTLSConfig(cfg)
	}
	return o, nil
}

func mongoTLS(t *config.TLS) (*tls.Config, error) {
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
			return nil, fmt.Errorf("read mongodb tls cert_key_file %s: %w", t.CertKeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
