package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestExampleValidates(t *testing.T) {
	cfg, err := Parse("example.yaml", Example())
	if err != nil {
		t.Fatalf("example does not validate:\n%v", err)
	}
	if got := len(cfg.ReplicaSets[0].Members); got != 4 {
		t.Fatalf("members = %d, want 4", got)
	}
	// The example must state the two-site reality as a warning, not hide it.
	found := false
	for _, w := range cfg.Warnings {
		if strings.Contains(w.Message, "losing site paris") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no warning about losing Paris; warnings: %v", cfg.Warnings)
	}
	if cfg.Backup("nightly").PITR.SliceOr().Seconds() != 60 {
		t.Fatalf("slice not decoded")
	}
}

func TestThreeMistakesThreeLocatedProblems(t *testing.T) {
	src := `sites:
  - name: paris
replica_sets:
  - name: main
    members:
      - host: a:27017
        site: paris
      - host: a:27017
        site: lyonn
backups:
  - name: nightly
    replica_set: main
    storage: nowhere
    schedule: "0 2 * *"
`
	_, err := Parse("bad.yaml", []byte(src))
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("want *Error wrapping ErrInvalid, got %v", err)
	}
	want := []string{
		"bad.yaml:8:15: replica_sets[0].members[1].host: duplicate host a:27017",
		"bad.yaml:9:15: replica_sets[0].members[1].site: unknown site \"lyonn\"",
		"bad.yaml:13:14: backups[0].storage: unknown storage \"nowhere\"",
		"bad.yaml:14:15: backups[0].schedule: schedule \"0 2 * *\" does not parse",
	}
	if len(ce.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ce.Problems), len(want), err)
	}
	for i, w := range want {
		if got := ce.Problems[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, got, w)
		}
	}
}

func TestSyntaxErrorIsLocated(t *testing.T) {
	_, err := Parse("s.yaml", []byte("sites:\n  - name: paris\n   bad: [\n"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Line == 0 {
		t.Fatalf("want a located syntax problem, got %v", err)
	}
}

func TestDuplicateKeyIsLocated(t *testing.T) {
	_, err := Parse("d.yaml", []byte("sites:\n  - name: paris\nsites: []\n"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Line != 3 {
		t.Fatalf("want duplicate key at line 3, got %v", err)
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	done := make(chan error, 1)
	go func() { _, err := Parse("bomb.yaml", []byte(laughs)); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("alias bomb accepted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("alias bomb not bounded")
	}
}

// TestByteOrderMark: a file a Windows editor saved with a UTF-8 BOM loads,
// and problems keep the line and column the editor shows.
func TestByteOrderMark(t *testing.T) {
	if _, err := Parse("bom.yaml", append([]byte("\ufeff"), Example()...)); err != nil {
		t.Fatalf("example with a BOM: %v", err)
	}
	src := "sites:\n  - name: paris\nreplica_sets:\n  - name: main\n    members:\n      - {host: \"a:1\", site: lyon}\n"
	_, plain := Parse("f.yaml", []byte(src))
	_, bom := Parse("f.yaml", []byte("\ufeff"+src))
	var pe, be *Error
	if !errors.As(plain, &pe) || !errors.As(bom, &be) {
		t.Fatalf("want located errors, got %v and %v", plain, bom)
	}
	if fmt.Sprint(pe.Problems) != fmt.Sprint(be.Problems) || len(be.Problems) != 1 || be.Problems[0].Line != 6 || be.Problems[0].Column != 29 {
		t.Fatalf("with a BOM:\n%v\nwithout:\n%v", be.Problems, pe.Problems)
	}
	_, bomFirst := Parse("f.yaml", []byte("\ufeffsitez: []\n"))
	if !errors.As(bomFirst, &be) || be.Problems[0].Line != 1 || be.Problems[0].Column != 1 || strings.Contains(bomFirst.Error(), "\ufeff") {
		t.Fatalf("problem on the first line: %v", bomFirst)
	}
}

// TestWrongTypeReportedAlone: a value of the wrong type is one problem,
// not also the consequences of reading it as zero.
func TestWrongTypeReportedAlone(t *testing.T) {
	for _, field := range []string{`priority: "high"`, `votes: "one"`} {
		src := "sites: [{name: paris}]\nreplica_sets:\n  - name: main\n    members:\n      - {host: \"a:1\", site: paris, " + field + "}\n"
		_, err := Parse("t.yaml", []byte(src))
		var ce *Error
		if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Line != 5 {
			t.Fatalf("%s: %v", field, err)
		}
	}
}

// TestExampleAuditSection: the example's commented audit section, once
// uncommented as its comment says, validates and names the file.
func TestExampleAuditSection(t *testing.T) {
	src := strings.Replace(string(Example()), "# audit:\n#   path:", "audit:\n  path:", 1)
	if src == string(Example()) {
		t.Fatal("the example has no commented audit section")
	}
	cfg, err := Parse("example.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Audit == nil || cfg.Audit.Path != "/var/log/citadel/audit.jsonl" {
		t.Fatalf("audit: %+v", cfg.Audit)
	}
}

// TestLoadStdinFromReader: "-" reads the reader Load is given, never the
// process's own stdin, and names it <stdin>.
func TestLoadStdinFromReader(t *testing.T) {
	cfg, err := Load("-", strings.NewReader(base))
	if err != nil || cfg.File != StdinName || len(cfg.ReplicaSets) != 1 {
		t.Fatalf("Load(-) = %+v, %v", cfg, err)
	}
	_, err = Load("-", strings.NewReader("sites: [\n"))
	var ce *Error
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Problems[0].String(), StdinName+":") {
		t.Fatalf("a bad stdin: %v", err)
	}
	if _, err := Load("-", nil); err == nil {
		t.Fatal("Load(-) without a reader read something")
	}
	if _, err := Load("/nonexistent/citadel.yaml", nil); err == nil || !strings.Contains(err.Error(), "--config FILE") {
		t.Fatalf("missing file: %v", err)
	}
}
