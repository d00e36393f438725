package cluster

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/mongoconn"
)

// writePEM writes a self-signed certificate and its key in one PEM file.
func writePEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "citadel"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&b, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	path := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDialerHonoursAuthAndTLS(t *testing.T) {
	pemFile := writePEM(t)
	t.Setenv("CITADEL_TEST_MONGO_PW", "s3cret")
	mc := config.MongoDB{
		Auth: &config.Auth{Mechanism: "SCRAM-SHA-256", Username: "citadel", PasswordEnv: "CITADEL_TEST_MONGO_PW"},
		TLS:  &config.TLS{Enabled: true, CAFile: pemFile, CertKeyFile: pemFile},
	}
	d, err := NewDialer(mc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	o, err := mongoconn.Options(d.mc, "")
	if err != nil {
		t.Fatal(err)
	}
	d.quick()(o)
	if c := o.Auth; c == nil || c.Password != "s3cret" || c.AuthSource != "admin" || c.AuthMechanism != "SCRAM-SHA-256" || c.Username != "citadel" {
		t.Errorf("credentials %+v", o.Auth)
	}
	if c := o.TLSConfig; c == nil || c.RootCAs == nil || len(c.Certificates) != 1 || c.InsecureSkipVerify {
		t.Errorf("tls %+v", o.TLSConfig)
	}
	if *o.ServerSelectionTimeout > 5*time.Second {
		t.Errorf("server selection %v: a down member must cost seconds", *o.ServerSelectionTimeout)
	}

	t.Setenv("CITADEL_TEST_MONGO_PW", "")
	if _, err := NewDialer(mc, slog.New(slog.DiscardHandler)); !errors.Is(err, config.ErrSecretMissing) {
		t.Errorf("missing password: got %v", err)
	}
	mc.Auth = nil
	mc.TLS.CAFile = filepath.Join(t.TempDir(), "none.pem")
	if _, err := NewDialer(mc, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing CA file: got %v", err)
	}
}

// TestAuditRecordThroughTrail: an action's record goes through
// internal/audit (the one audit path) with who, the action, the set and
// the config versions; the slog sink writes it as one line.
func TestAuditRecordThroughTrail(t *testing.T) {
	var b bytes.Buffer
	var got []audit.Record
	trail := audit.New(nil, "alice", audit.SlogSink{Log: slog.New(slog.NewTextHandler(&b, nil))},
		audit.Func(func(_ context.Context, r audit.Record) error { got = append(got, r); return nil }))
	d, err := NewDialer(config.MongoDB{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(d, slog.New(slog.DiscardHandler), trail)
	m.record(context.Background(), ActionApply, "main", applyParams(SetPlan{Set: "main", LiveVersion: 4, Steps: []Step{{Summary: "add l2"}},
		Results: []StepResult{{VersionBefore: 4, VersionAfter: 5}}}), nil)
	if len(got) != 1 || got[0].Who != "alice" || got[0].Action != "cluster.apply" || got[0].Target != "main" || got[0].Outcome != audit.OK ||
		got[0].Parameters["version_before"] != 4 || got[0].Parameters["version_after"] != 5 {
		t.Fatalf("records %+v", got)
	}
	out := b.String()
	for _, want := range []string{"msg=audit", "who=alice", "action=cluster.apply", "target=main", "add l2", "version_before:4", "version_after:5", "outcome=ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit line %q misses %q", out, want)
		}
	}
}

func TestShortError(t *testing.T) {
	err := errors.New("server selection error: context deadline exceeded, current topology: { Type: Single, Servers: [{ Addr: h:1, Type: Unknown, Last error: dial tcp h:1: connect: connection refused }, ] }")
	if got := shortError(err); got != "dial tcp h:1: connect: connection refused" {
		t.Errorf("got %q", got)
	}
}

// FuzzShortError: any driver message shortens without panicking and stays
// bounded.
func FuzzShortError(f *testing.F) {
	f.Add("server selection error: { Last error: dial tcp h:1: connection refused }, ] }")
	f.Add("Last error: ")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		if got := shortError(errors.New(s)); len(got) > 124 {
			t.Fatalf("%d bytes", len(got))
		}
	})
}
