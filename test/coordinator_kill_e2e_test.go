//go:build linux

package test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/cluster/coordinator/api"
	"github.com/noscites/citadel/cluster/coordinator/runner"
	"github.com/noscites/citadel/cluster/coordinator/store"
)

// killMoment is one moment of a backup run at which the leader is killed.
// citadel streams each collection to the bucket while it reads it (no
// local dump then upload), so the moments are told apart by what the
// bucket holds of the attempt: reached says when to kill, check what the
// bucket must hold after the kill for the kill to have landed there.
type killMoment struct {
	name string
	// reached reports, from the leader's log, its current run and the
	// attempt's objects in the bucket, that the moment has come.
	reached func(log string, cur store.Run, objs []string) bool
	// want are the objects (relative to the attempt's directory) that must
	// be present after the kill; absent must not be.
	want, absent []string
	// fenced: the killed run had passed its fence.
	fenced bool
}

// TestCoordinatorKillLeaderAtThreeMoments: three `citadel server` nodes
// run a backup every 30 s of two collections (big.a, 20,000 documents,
// dumped first, then big.b, 10,000; one at a time). The leader is killed
// with SIGKILL in three scheduled runs, at three moments:
//   - during the dump: the run logged "backup started" and nothing of it
//     is in the bucket yet;
//   - during the upload: big.a's objects are in the bucket (a half-written
//     backup is visible to a listing of keys), big.b is being streamed;
//   - just before the manifest: the run passed its fence (FencedAt set),
//     every data and oplog object is written, no manifest; held there by
//     the test-only failpoint before-manifest:sleep=4s (internal/failpoint).
//
// After each kill a new leader is elected (the time is measured and
// logged), the run is taken over, and the slot ends with exactly one
// complete backup in the bucket, the final run's; the killed attempt's
// objects are never listed by `backup list`. The killed node is restarted
// before the next moment (issue 11).
func TestCoordinatorKillLeaderAtThreeMoments(t *testing.T) {
	w := coStartWith(t, coOptions{backups: coBackup("every30s", "@every 30s", 1),
		env: []string{"CITADEL_FAILPOINT=before-manifest:sleep=4s"}})
	for _, c := range []struct {
		name string
		n    int
	}{{"a", 20000}, {"b", 10000}} {
		docs := make([]any, 0, c.n)
		for i := range c.n {
			docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat(c.name, 200)}})
		}
		if _, err := w.set(t, "main").Database("big").Collection(c.name).InsertMany(t.Context(), docs); err != nil {
			t.Fatal(err)
		}
	}
	w.waitApplied(t, "big", "b", 10000)
	aData, bData := layout.DataKey("big", "a", ".zst"), layout.DataKey("big", "b", ".zst")
	for _, m := range []killMoment{
		{name: "during the dump", absent: []string{aData, bData, layout.ManifestName},
			reached: func(log string, cur store.Run, objs []string) bool {
				// Half a second into a dump of big.a that lasts about 2 s.
				return logged(log, "backup started", fmt.Sprintf("-%04x ", cur.Token&0xffff)) && time.Since(cur.Start) > 500*time.Millisecond && len(objs) == 0
			}},
		{name: "during the upload", want: []string{aData}, absent: []string{bData, layout.ManifestName},
			reached: func(_ string, _ store.Run, objs []string) bool { return slices.Contains(objs, aData) }},
		{name: "just before the manifest", want: []string{aData, bData, layout.OplogBase + ".zst"}, absent: []string{layout.ManifestName}, fenced: true,
			reached: func(_ string, cur store.Run, _ []string) bool { return !cur.FencedAt.IsZero() }},
	} {
		w.killAt(t, m)
	}
}

// killAt waits for the next scheduled run on the leader, kills the leader
// at the moment m, and checks the slot's outcome; the killed node is
// started again and the group waited for.
func (w *coWorld) killAt(t *testing.T, m killMoment) {
	t.Helper()
	ctx := t.Context()
	leader := w.waitLeader(t, "c1", "c2", "c3").Leader
	whole := time.Now()
	lc := w.client(t, leader, coToken)
	var cur store.Run
	var objs []string
	deadline := time.Now().Add(75 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within 75s (run %+v, objects %v)", m.name, cur, objs)
		}
		time.Sleep(20 * time.Millisecond)
		jobs, err := lc.Jobs(ctx)
		if err != nil {
			continue
		}
		i := slices.IndexFunc(jobs, func(j api.JobView) bool { return j.Name == "backup-every30s" })
		if i < 0 || jobs[i].Current == nil || jobs[i].Current.Trigger != store.TriggerSchedule || jobs[i].Current.Start.Before(whole) {
			continue
		}
		cur = *jobs[i].Current
		_, objs = w.attemptObjects(t, cur.Token)
		log, _ := os.ReadFile(w.nodes[leader].logs[len(w.nodes[leader].logs)-1])
		if m.reached(string(log), cur, objs) {
			break
		}
	}
	killed := time.Now()
	w.nodes[leader].stop(syscall.SIGKILL)
	dir, objs := w.attemptObjects(t, cur.Token)
	t.Logf("%s: killed leader %s (kill -9) %s into run %s (token %d) of slot %s; the attempt's objects: %v",
		m.name, leader, killed.Sub(cur.Start).Round(time.Millisecond), cur.ID, cur.Token, cur.Slot.Format(time.RFC3339), objs)
	for _, k := range m.want {
		if !slices.Contains(objs, k) {
			t.Errorf("%s: %s%s absent after the kill: the kill did not land %s", m.name, dir, k, m.name)
		}
	}
	for _, k := range m.absent {
		if slices.Contains(objs, k) {
			t.Errorf("%s: %s%s present after the kill: the kill did not land %s", m.name, dir, k, m.name)
		}
	}
	next, elected := w.nextLeader(t, leader, killed)
	t.Logf("%s: new leader %s elected %s after the kill (issue 11 asks for 3 s)", m.name, next, elected.Round(time.Millisecond))
	w.checkSlot(t, m, next, cur, dir, killed)
	w.start(t, w.nodes[leader])
}

// checkSlot waits for the killed run's slot to succeed on the new leader
// and checks it holds exactly one complete backup, the final run's, and
// that `backup list` never shows the killed attempt.
func (w *coWorld) checkSlot(t *testing.T, m killMoment, leader string, killed store.Run, killedDir string, at time.Time) {
	t.Helper()
	moment := m.name
	nc := w.client(t, leader, coToken)
	final := waitRun(t, nc, "backup-every30s", func(r store.Run) bool { return r.Slot.Equal(killed.Slot) && r.State == store.RunSucceeded },
		moment+": the killed slot succeeds on the new leader", 90*time.Second)
	runs, err := nc.Runs(t.Context(), "backup-every30s", 50)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []uint64
	for _, r := range runs {
		if r.Slot.Equal(killed.Slot) {
			tokens = append(tokens, r.Token)
			t.Logf("%s: slot %s: run %s token %d attempt %d trigger %s on %s: %s, fenced %t %s", moment, r.Slot.Format(time.RFC3339),
				r.ID, r.Token, r.Attempt, r.Trigger, r.Holder, r.State, !r.FencedAt.IsZero(), r.Reason)
			if r.Token == killed.Token && (r.State != store.RunAbandoned || r.FencedAt.IsZero() == m.fenced) {
				t.Errorf("%s: the killed run %s is %s, fenced %t; want abandoned, fenced %t", moment, r.ID, r.State, !r.FencedAt.IsZero(), m.fenced)
			}
		}
	}
	var res runner.BackupResult
	bkJSON(t, string(final.Result), &res)
	complete, incomplete := w.backupsOf(t, tokens...)
	t.Logf("%s: slot %s: complete %v, incomplete (never listed) %v, final run adopted from token %d, succeeded %s after the kill", moment,
		killed.Slot.Format(time.RFC3339), complete, incomplete, res.AdoptedFrom, final.End.Sub(at).Round(time.Millisecond))
	if final.Token == killed.Token || len(complete) != 1 || complete[0] != res.Backup.ID || res.AdoptedFrom != 0 {
		t.Fatalf("%s: slot %s: complete backups %v, final run %s (token %d, adopted from %d), want exactly one, the final run's own",
			moment, killed.Slot.Format(time.RFC3339), complete, res.Backup.ID, final.Token, res.AdoptedFrom)
	}
	code, out, _ := citadel(t, w.env, "--config", w.cfg, "-o", "json", "backup", "list", "--backup", "every30s")
	if code != 0 || !strings.Contains(out, complete[0]) {
		t.Errorf("%s: backup list (exit %d) lacks the slot's backup %s", moment, code, complete[0])
	}
	if id := strings.TrimSuffix(strings.TrimPrefix(killedDir, "main/"), "/"); id != "" && strings.Contains(out, id) {
		t.Errorf("%s: backup list shows the killed attempt %s", moment, id)
	}
}

// attemptObjects lists the objects of the backup named after token in the
// Lyon bucket: its directory and the keys relative to it.
func (w *coWorld) attemptObjects(t *testing.T, token uint64) (dir string, keys []string) {
	t.Helper()
	suffix := fmt.Sprintf("-%04x/", token&0xffff)
	for info, err := range w.lyon.List(t.Context(), "main/") {
		if err != nil {
			t.Fatal(err)
		}
		rest := strings.TrimPrefix(info.Key, "main/")
		id, key, ok := strings.Cut(rest, "/")
		if !ok || !strings.HasSuffix(id+"/", suffix) {
			continue
		}
		dir = "main/" + id + "/"
		keys = append(keys, key)
	}
	return dir, keys
}

// nextLeader waits (at most 30 s) for a node other than killed to lead and
// returns it with the time since the kill.
func (w *coWorld) nextLeader(t *testing.T, killed string, at time.Time) (string, time.Duration) {
	t.Helper()
	for {
		for id := range w.nodes {
			if id == killed {
				continue
			}
			if st, err := w.client(t, id, coToken).Status(t.Context()); err == nil && st.State == "Leader" {
				return id, time.Since(at)
			}
		}
		if time.Since(at) > 30*time.Second {
			t.Fatal("no new leader within 30s of the kill")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logged reports whether one line of log holds every part.
func logged(log string, parts ...string) bool {
	for line := range strings.Lines(log) {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(line, p) }) {
			return true
		}
	}
	return false
}
