package dvf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/noscites/citadel/test/testbed"
)

// BenchmarkRSS measures the peak RSS (VmHWM, from the child's rusage) of
// `citadel ingest dvf` in its own process: a dry run over a generated 1 GB
// file (parse, group, hash: must stay flat) and a real load of a smaller
// file into FerretDB (CITADEL_BENCH_DVF_WRITE_MB, default 20). Target:
// flat, at most 200 MB. Sizes: CITADEL_BENCH_DVF_MB (default 1024).
func BenchmarkRSS(b *testing.B) {
	bin := buildCitadel(b)
	dir := b.TempDir()
	big := filepath.Join(dir, "valeursfoncieres-big.txt")
	small := filepath.Join(dir, "valeursfoncieres-small.txt")
	genFile(b, big, envMB("CITADEL_BENCH_DVF_MB", 1024))
	genFile(b, small, envMB("CITADEL_BENCH_DVF_WRITE_MB", 20))
	srv := testbed.StartFerretDBT(b)
	for i := 0; i < b.N; i++ {
		for _, run := range []struct {
			name string
			args []string
			file string
		}{
			{"dry run", []string{"ingest", "dvf", "--dry-run", big}, big},
			{"load into FerretDB", []string{"ingest", "dvf", "--uri", srv.URI(), "--database", fmt.Sprint("bench", i), small}, small},
		} {
			rss, secs := measure(b, bin, run.args)
			fi, _ := os.Stat(run.file)
			mb := float64(fi.Size()) / 1e6
			b.Logf("dvf %s of %.0f MB: peak RSS %.0f MB (target ≤ 200 MB, flat), %.1f s, %.1f MB/s", run.name, mb, rss, secs, mb/secs)
		}
	}
}

func envMB(name string, def int64) int64 {
	if s := os.Getenv(name); s != "" {
		var n int64
		if _, err := fmt.Sscan(s, &n); err == nil {
			return n
		}
	}
	return def
}

func genFile(b *testing.B, path string, mb int64) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := Generate(f, mb<<20, 1); err != nil {
		b.Fatal(err)
	}
}

func buildCitadel(b *testing.B) string { return testbed.BuildCitadel(b, b.TempDir()) }

// measure runs citadel and returns its peak RSS in MB and its duration.
func measure(b *testing.B, bin string, args []string) (float64, float64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--config", "/nonexistent"}, args...)...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("citadel %v: %v\n%s", args, err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage")
	}
	return float64(ru.Maxrss) / 1024, time.Since(start).Seconds()
}
