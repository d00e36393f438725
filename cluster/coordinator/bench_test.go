package coordinator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/noscites/citadel/cluster/coordinator/sched"
	"github.com/noscites/citadel/cluster/coordinator/store"
	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/test/testbed"
)

// BenchmarkAPILoad drives 200 concurrent clients on /v1/status and
// /v1/jobs of a one-node coordinator over loopback for 30 s
// (CITADEL_BENCH_COORD_SECONDS) and prints p50, p99 and errors; the same
// load on /healthz (no token, no state) is the baseline of the same run.
func BenchmarkAPILoad(b *testing.B) {
	secs := 30
	if v, err := strconv.Atoi(os.Getenv("CITADEL_BENCH_COORD_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	net := store.NewInmemNetwork()
	self := config.CoordinatorNode{ID: "bench", Site: "paris", RaftAddress: "inmem-bench", HTTPAddress: testbed.FreeAddr(b)}
	var jobs []store.Job
	for i := range 10 {
		jobs = append(jobs, store.Job{Name: fmt.Sprintf("backup-%d", i), Kind: "backup", Schedule: "0 2 * * *"})
	}
	n, err := Start(context.Background(), Options{
		NodeID: self.ID, Nodes: []config.CoordinatorNode{self}, RaftAddress: self.RaftAddress, DataDir: b.TempDir(),
		Token: testToken, Jobs: jobs, RaftTransport: net.Transport(self.RaftAddress),
	}, sched.RunnerFunc(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	deadline := time.Now().Add(20 * time.Second)
	for len(n.Store().FSM().Jobs()) < len(jobs) {
		if time.Now().After(deadline) {
			b.Fatal("the node did not lead and write its jobs")
		}
		time.Sleep(20 * time.Millisecond)
	}
	base := "http://" + n.HTTPAddr()
	b.ResetTimer()
	for range b.N {
		baseline := load(base, []string{"/healthz"}, 200, time.Duration(secs)*time.Second/3)
		api := load(base, []string{"/v1/status", "/v1/jobs"}, 200, time.Duration(secs)*time.Second)
		fmt.Printf("coordinator API, 200 clients: baseline /healthz %s\n", baseline)
		fmt.Printf("coordinator API, 200 clients: /v1/status + /v1/jobs %s\n", api)
		fmt.Printf("coordinator API: p99 ratio to baseline %.2f×, p50 ratio %.2f×\n",
			float64(api.p99)/float64(max(baseline.p99, 1)), float64(api.p50)/float64(max(baseline.p50, 1)))
		b.ReportMetric(float64(api.p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(api.p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(api.errors), "errors")
	}
}

type loadResult struct {
	requests, errors int64
	p50, p99         time.Duration
	elapsed          time.Duration
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests in %s (%.0f/s), p50 %s, p99 %s, errors %d",
		r.requests, r.elapsed.Round(time.Millisecond), float64(r.requests)/r.elapsed.Seconds(),
		r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.errors)
}

// load runs clients loops over paths until d has passed; each loop stops by
// itself at the deadline.
func load(base string, paths []string, clients int, d time.Duration) loadResult {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	var errs, total atomic.Int64
	lat := make([][]time.Duration, clients)
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				req, _ := http.NewRequest(http.MethodGet, base+paths[i%len(paths)], nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat[c] = append(lat[c], time.Since(t0))
				total.Add(1)
				if err != nil {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := loadResult{requests: total.Load(), errors: errs.Load(), elapsed: time.Since(start)}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}
