package ingest

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress counts input bytes and, when a writer is given (a terminal),
// draws a bar with bytes read, documents per second and the ETA.
type progress struct {
	bytes atomic.Int64
	bar   *progressbar.ProgressBar
	stop  chan struct{}
	done  chan struct{}
}

func newProgress(w io.Writer, total int64, dataset string, docs func() int64) *progress {
	p := &progress{}
	if w == nil {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetDescription(dataset),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionClearOnFinish(),
	)
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(p.done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				n := docs()
				rate := float64(n) / time.Since(start).Seconds()
				p.bar.Describe(fmt.Sprintf("%s: %d docs, %.0f docs/s", dataset, n, rate))
			}
		}
	}()
	return p
}

func (p *progress) add(n int64) {
	p.bytes.Add(n)
	if p.bar != nil {
		_ = p.bar.Add64(n)
	}
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	close(p.stop)
	<-p.done
	_ = p.bar.Finish()
}

// countingFile counts the bytes read from an input file.
type countingFile struct {
	f *os.File
	p *progress
}

func (c *countingFile) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	c.p.add(int64(n))
	return n, err
}

func (c *countingFile) Close() error { return c.f.Close() }
