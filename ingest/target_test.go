package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/fault"
)

// TestOpenTargetSettings: the database comes from the caller, else the
// configuration, else the default; without a place to connect to the
// error is a usage error saying what to pass; a URI's password never
// appears in a message.
func TestOpenTargetSettings(t *testing.T) {
	ctx := context.Background()
	cfg := &config.Config{File: "citadel.yaml", Ingest: &config.Ingest{Database: "fromcfg", ReplicaSet: "main", BatchSize: 500}}
	for _, tc := range []struct {
		cfg  *config.Config
		o    TargetOptions
		want string
	}{
		{nil, TargetOptions{}, DefaultDatabase},
		{cfg, TargetOptions{}, "fromcfg"},
		{cfg, TargetOptions{Database: "flag"}, "flag"},
	} {
		tg, err := OpenTarget(ctx, tc.cfg, tc.o)
		if err != nil || tg.Database != tc.want || tg.DB() != nil {
			t.Errorf("%+v: database %v, %v; want %s, not connected", tc.o, tg, err, tc.want)
		}
	}
	if tg, _ := OpenTarget(ctx, cfg, TargetOptions{}); tg.Settings.BatchSize != 500 {
		t.Errorf("settings %+v: want the config's ingest section", tg.Settings)
	}
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		uri  string
		want string
	}{
		{"no config", nil, "", "--uri"},
		{"no ingest section", &config.Config{File: "c.yaml"}, "", "c.yaml has no ingest section"},
		{"unknown replica set", cfg, "", `ingest.replica_set "main"`},
		{"bad uri", nil, "mongodb://u:secret@h:notaport/", "--uri"},
	} {
		_, err := OpenTarget(ctx, tc.cfg, TargetOptions{URI: tc.uri, Connect: true})
		if !errors.Is(err, fault.ErrUsage) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v, want a usage error naming %s without the password", tc.name, err, tc.want)
		}
	}
}
