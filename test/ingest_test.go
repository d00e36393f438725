package test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/test/testbed"
)

// citadelBin builds the binary once per test binary run.
func citadelBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "citadel-e2e")
		if err != nil {
			t.Fatal(err)
		}
		binPath = testbed.BuildCitadel(t, dir)
	})
	if binPath == "" {
		t.Fatal("citadel was not built: see the first test that asked for it")
	}
	return binPath
}

// citadel runs the binary and returns its exit code, stdout and stderr.
func citadel(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(citadelBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func fixture(t *testing.T, rel string) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

func ferret(t *testing.T) (string, *mongo.Client) {
	t.Helper()
	uri := testbed.StartFerretDBT(t).URI()
	return uri, testbed.Connect(t, uri)
}

type loadJSON struct {
	Read, Inserted, Updated, Unchanged, Rejected int64
	Reasons                                      []struct{ Reason string } `json:"reject_reasons"`
}

func TestIngestAirbnbCLI(t *testing.T) {
	uri, _ := ferret(t)
	env := []string{"CITADEL_INGEST_URI=" + uri, "CITADEL_CONFIG=/nonexistent/citadel.yaml"}
	paris := fixture(t, "ingest/airbnb/testdata/listings-paris-2024.csv")

	code, out, errOut := citadel(t, env, "ingest", "airbnb", "--city", "paris", paris)
	if code != 3 || !strings.Contains(out, "rejected 8") || !strings.Contains(errOut, "30.77% > 1.00%") {
		t.Fatalf("default threshold: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = citadel(t, env, "-o", "json", "ingest", "airbnb", "--max-error-rate", "0.5", "--city", "paris", paris)
	var rep loadJSON
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Unchanged != 18 || rep.Inserted != 0 || rep.Rejected != 8 {
		t.Fatalf("reload: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = citadel(t, env, "-o", "json", "report", "--arg", "city=paris", "airbnb", "room-types")
	var ans struct {
		Answers []struct{ Rows [][]any }
	}
	if code != 0 || json.Unmarshal([]byte(out), &ans) != nil || len(ans.Answers) != 1 {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, errOut)
	}
	if rows, _ := json.Marshal(ans.Answers[0].Rows); string(rows) != `[["Entire home/apt",13],["Private room",3],["Hotel room",1],["Shared room",1]]` {
		t.Fatalf("room types: %s", rows)
	}
	code, out, _ = citadel(t, env, "report", "airbnb")
	if code != 0 || !strings.Contains(out, "booking-rate") || !strings.Contains(out, "Shared room") {
		t.Fatalf("report all: exit %d\n%s", code, out)
	}
	code, _, errOut = citadel(t, env, "report", "airbnb", "nosuchquestion")
	if code != 2 || !strings.Contains(errOut, "room-types") {
		t.Fatalf("unknown question: exit %d %s", code, errOut)
	}
}

// TestIngestBadInputCLI: each bad file exits 1 with the file and line named,
// and nothing is written that the report does not account for.
func TestIngestBadInputCLI(t *testing.T) {
	uri, client := ferret(t)
	dir := t.TempDir()
	good, err := os.ReadFile(fixture(t, "ingest/airbnb/testdata/listings-paris-2024.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty.csv":     nil,
		"semicolon.csv": []byte(strings.ReplaceAll(string(good), ",", ";")),
		"renamed.csv":   []byte(strings.Replace(string(good), ",price,", ",prix,", 1)),
		"garbage.csv":   {0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x00, 0x12, '\n', 0x01},
	}
	for name, content := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		db := strings.TrimSuffix(name, ".csv")
		code, out, errOut := citadel(t, []string{"CITADEL_INGEST_URI=" + uri}, "ingest", "airbnb", "--database", db, "--city", "lyon", path)
		if code != 1 || !strings.Contains(errOut, path) {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut)
		}
		if name != "empty.csv" && !strings.Contains(errOut, "line 1") && !strings.Contains(errOut, ":1:") {
			t.Errorf("%s: no line in %q", name, errOut)
		}
		if !strings.Contains(out, "read 0") {
			t.Errorf("%s: the report must still be printed: %q", name, out)
		}
		n, _ := client.Database(db).Collection("listings").CountDocuments(context.Background(), bson.D{})
		r, _ := client.Database(db).Collection("listings_rejects").CountDocuments(context.Background(), bson.D{})
		if n != 0 || r != 0 {
			t.Errorf("%s: %d documents and %d rejects written for a file that failed before any record", name, n, r)
		}
	}
	code, _, errOut := citadel(t, []string{"CITADEL_INGEST_URI=" + uri}, "ingest", "airbnb", "--city", "lyon", filepath.Join(dir, "missing.csv"))
	if code != 1 || !strings.Contains(errOut, "missing.csv") {
		t.Errorf("missing file: exit %d %q", code, errOut)
	}
}

func TestIngestList(t *testing.T) {
	code, out, _ := citadel(t, nil, "ingest", "list")
	if code != 0 || !strings.Contains(out, "airbnb") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
