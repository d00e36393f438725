package runner

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/cluster/coordinator/sched"
)

func TestTokenIDIsAValidIDNamedAfterTheToken(t *testing.T) {
	at := time.Date(2026, 3, 29, 1, 30, 5, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		token uint64
		want  string
	}{
		{1, "20260329T003005Z-0001"},
		{0xbeef, "20260329T003005Z-beef"},
		{0x1_0002, "20260329T003005Z-0002"}, // low 16 bits
	} {
		got := TokenID(at, tc.token)
		if got != tc.want || !manifest.ValidID(got) {
			t.Errorf("TokenID(%d) = %q (valid %v), want %q", tc.token, got, manifest.ValidID(got), tc.want)
		}
	}
}

func TestIsAttemptBackup(t *testing.T) {
	start := time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)
	fenced := start.Add(10 * time.Minute)
	for _, tc := range []struct {
		name string
		id   string
		want bool
	}{
		{"its token, during the attempt", TokenID(start.Add(time.Second), 7), true},
		{"its token, clock rounding before the lease", TokenID(start.Add(-time.Second), 7), true},
		{"another token", TokenID(start.Add(time.Second), 8), false},
		{"same low bits long before", TokenID(start.Add(-time.Hour), 7), false},
		{"same low bits after the fence", TokenID(fenced.Add(time.Hour), 7), false},
		{"not an id", "latest", false},
	} {
		if got := IsAttemptBackup(tc.id, 7, start, fenced); got != tc.want {
			t.Errorf("%s: IsAttemptBackup(%q) = %v, want %v", tc.name, tc.id, got, tc.want)
		}
	}
}

type noFence struct{}

func (noFence) Token() uint64 { return 1 }
func (noFence) Check(context.Context) (time.Time, error) {
	return time.Time{}, errors.New("no fence in this test")
}

func TestRunRefusesWhatItCannotRun(t *testing.T) {
	r := New(jobEnvWithoutConfig())
	for _, tc := range []struct {
		job  sched.JobSpec
		want error
	}{
		{sched.JobSpec{Name: "odd", Kind: "odd"}, ErrUnsupported},
	} {
		if _, err := r.Run(context.Background(), tc.job, sched.RunInfo{}, noFence{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.job.Name, err, tc.want)
		}
	}
	if _, err := r.Run(context.Background(), sched.JobSpec{Name: "bad", Kind: KindBackup, Params: json.RawMessage(`[1]`)}, sched.RunInfo{}, noFence{}); err == nil {
		t.Error("params that are not an object: no error")
	}
	if _, err := r.Run(context.Background(), sched.JobSpec{Name: "nameless", Kind: KindBackup}, sched.RunInfo{}, noFence{}); err == nil {
		t.Error("backup job without a name: no error")
	}
	if out, err := r.Run(context.Background(), sched.JobSpec{Name: "drill-weekly", Kind: KindDrill, Params: json.RawMessage(`{"drill":"weekly"}`)}, sched.RunInfo{}, noFence{}); err == nil || out != nil {
		t.Errorf("drill without a configuration: result %s, err %v", out, err)
	}
}

func jobEnvWithoutConfig() jobs.Env { return jobs.Env{} }
