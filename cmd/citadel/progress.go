package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/noscites/citadel/internal/progress"
	"github.com/noscites/citadel/internal/units"
)

// showProgress draws the one progress bar of every long command (backup,
// restore, verify, copy, ingest) on a terminal (stderr) from the job's
// counters, until the returned stop is called. Nothing is drawn before
// the work names its first phase (it may be asking a question on this
// terminal), with -o json, or when stderr is not a terminal. Work whose
// input size is known (a load's files) gets a bar of bytes with the
// documents and their rate; other work a bar of documents (of the
// estimated total when known) with collections and bytes.
func (e *env) showProgress(ctx context.Context, tr *progress.Tracker, what string) (stop func()) {
	f, ok := e.stderr.(*os.File)
	if e.json || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	var bar *progressbar.ProgressBar
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.Report(ctx, 250*time.Millisecond, func(s progress.Snapshot) {
			if s.Phase == "" {
				return
			}
			if bar == nil {
				bar = newBar(f, s, what)
			}
			drawProgress(bar, s, what)
		})
	}()
	return func() {
		cancel()
		<-done
		if bar != nil {
			_ = bar.Finish()
		}
	}
}

func newBar(f *os.File, s progress.Snapshot, what string) *progressbar.ProgressBar {
	opts := []progressbar.Option{progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionClearOnFinish()}
	if s.BytesTotal > 0 {
		return progressbar.NewOptions64(s.BytesTotal, append(opts, progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true), progressbar.OptionSetWidth(30), progressbar.OptionShowDescriptionAtLineEnd())...)
	}
	return progressbar.NewOptions64(-1, append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("docs"))...)
}

func drawProgress(bar *progressbar.ProgressBar, s progress.Snapshot, what string) {
	if s.BytesTotal > 0 && s.Documents == 0 { // objects read or copied
		bar.Describe(fmt.Sprintf("%s %s", what, s.Phase))
		_ = bar.Set64(min(s.Bytes, s.BytesTotal))
		return
	}
	if s.BytesTotal > 0 {
		bar.Describe(fmt.Sprintf("%s %s: %d docs, %.0f docs/s", what, s.Phase, s.Documents, s.Rate()))
		_ = bar.Set64(min(s.Bytes, s.BytesTotal))
		return
	}
	if s.DocumentsTotal > 0 {
		bar.ChangeMax64(max(s.DocumentsTotal, s.Documents))
	}
	bar.Describe(fmt.Sprintf("%s %s %d/%d collections, %s", what, s.Phase, s.CollectionsDone, s.Collections, units.Bytes(s.Bytes)))
	_ = bar.Set64(s.Documents)
}
