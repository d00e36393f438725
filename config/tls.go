package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// ClientConfig loads the CA file and client certificate into a *tls.Config.
// It returns nil for a nil or disabled TLS section. what names the
// connection in errors ("mongodb", "storage minio-lyon").
func (t *TLS) ClientConfig(what string) (*tls.Config, error) {
	if t == nil || !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the operator's explicit, warned-about choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read %s tls ca_file: %w", what, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read %s tls ca_file %s: no PEM certificate in it", what, t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertKeyFile, t.CertKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read %s tls cert_key_file %s (certificate and key in one PEM file): %w", what, t.CertKeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
