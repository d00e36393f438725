package backup

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/noscites/citadel/config"
)

func tlsConfig(t *config.TLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mongodb tls: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mongodb tls: no certificate in %s", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertKeyFile, t.CertKeyFile)
		if err != nil {
			return nil, fmt.Errorf("mongodb tls client certificate %s: %w", t.CertKeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
