package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest/airbnb"
)

// TestIngestInterruptCountsWhatWasAcknowledged: Ctrl-C during a load of a
// generated Airbnb file; the summary's inserted count is what the
// collection holds once the server has settled (batches in flight at the
// signal included), the summary says it was interrupted, and stderr says
// "interrupted" once.
func TestIngestInterruptCountsWhatWasAcknowledged(t *testing.T) {
	uri, client := ferret(t)
	file := filepath.Join(t.TempDir(), "listings.csv")
	f, err := os.Create(file)
	must(t, err)
	must(t, airbnb.Generate(f, 40000, 7))
	must(t, f.Close())
	coll := client.Database("intr").Collection(airbnb.Collection)

	cmd := exec.Command(citadelBin(t), "ingest", "airbnb", "--city", "paris", "--database", "intr", "--max-error-rate", "1", file)
	cmd.Env = append(os.Environ(), "CITADEL_INGEST_URI="+uri, "CITADEL_CONFIG=/nonexistent/citadel.yaml")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	must(t, cmd.Start())
	// Interrupt once a few batches are in: the load is well under way.
	for i := 0; i < 600; i++ {
		if n, _ := coll.CountDocuments(context.Background(), bson.D{}); n >= 3000 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	must(t, cmd.Process.Signal(os.Interrupt))
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v\n%s\n%s", err, out.String(), errb.String())
	}
	m := regexp.MustCompile(`inserted (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary:\n%s", out.String())
	}
	inserted, _ := strconv.ParseInt(m[1], 10, 64)
	// Let the server finish anything a client might have abandoned, then
	// count: the two must agree.
	var held int64
	for i := 0; i < 3; i++ {
		time.Sleep(time.Second)
		held, err = coll.CountDocuments(context.Background(), bson.D{})
		must(t, err)
	}
	t.Logf("summary:\n%s\nstderr: %s\ncollection holds %d", out.String(), errb.String(), held)
	if inserted != held || inserted == 0 || held >= 40000 {
		t.Fatalf("summary says inserted %d, the collection holds %d", inserted, held)
	}
	if !strings.Contains(out.String(), "INTERRUPTED") || !strings.Contains(out.String(), "what the server acknowledged") {
		t.Errorf("the summary does not say it was interrupted:\n%s", out.String())
	}
	if errb.String() != "citadel: interrupted\n" {
		t.Errorf("stderr %q, want one line saying interrupted", errb.String())
	}
}
