package mongoconn

import (
	"errors"
	"testing"

	"github.com/noscites/citadel/config"
)

func TestOptions(t *testing.T) {
	t.Setenv("CITADEL_TEST_PW", "s3cret")
	o, err := Options(config.MongoDB{Auth: &config.Auth{Username: "u", PasswordEnv: "CITADEL_TEST_PW"}}, "ingest")
	if err != nil {
		t.Fatal(err)
	}
	if o.Auth == nil || o.Auth.Password != "s3cret" || o.Auth.AuthSource != "admin" || *o.AppName != "citadel-ingest" {
		t.Fatalf("options: %+v %+v", o.Auth, *o.AppName)
	}
	if *o.ConnectTimeout != DefaultConnectTimeout {
		t.Fatalf("timeout %v", *o.ConnectTimeout)
	}
	_, err = Options(config.MongoDB{Auth: &config.Auth{Username: "u", PasswordEnv: "CITADEL_TEST_UNSET_PW"}}, "")
	if !errors.Is(err, config.ErrSecretMissing) {
		t.Fatalf("missing secret: %v", err)
	}
	_, err = Options(config.MongoDB{TLS: &config.TLS{Enabled: true, CAFile: "/nonexistent/ca.pem"}}, "")
	if err == nil {
		t.Fatal("unreadable CA accepted")
	}
}

func TestRedactAndSeeds(t *testing.T) {
	for in, want := range map[string]string{
		"mongodb://u:secret@h:27017/?replicaSet=x": "mongodb://u:xxxxx@h:27017/?replicaSet=x",
		"mongodb://h1,h2/":                         "mongodb://h1,h2/",
		"mongodb+srv://u@h/":                       "mongodb+srv://u@h/",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	rs := config.ReplicaSet{Name: "main", Members: []config.Member{{Host: "a:1"}, {Host: "w:1", Arbiter: true}, {Host: "b:1"}}}
	if got := Seeds(rs); len(got) != 2 || got[0] != "a:1" || got[1] != "b:1" {
		t.Errorf("Seeds = %v, want a:1 b:1 (no arbiter)", got)
	}
	if _, err := ConnectURI("mongodb://h:notaport/", "test"); err == nil {
		t.Error("a bad URI connects")
	}
}
