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
