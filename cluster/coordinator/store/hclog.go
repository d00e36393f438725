package store

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// newHCLog gives hashicorp/raft an hclog.Logger that writes through slog:
// hclog emits JSON lines into slogWriter, which turns each into one slog
// record with the same level, message and fields.
func newHCLog(log *slog.Logger) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name: "raft", Level: hclog.Info, JSONFormat: true, Output: &slogWriter{log: log},
	})
}

type slogWriter struct {
	mu  sync.Mutex
	log *slog.Logger
	buf bytes.Buffer
}

func (w *slogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadBytes('\n')
		if err != nil { // incomplete line: keep it for the next write
			w.buf.Reset()
			w.buf.Write(line)
			return len(p), nil
		}
		w.emit(line)
	}
}

func (w *slogWriter) emit(line []byte) {
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil {
		w.log.Info(string(bytes.TrimSpace(line)))
		return
	}
	level := slog.LevelInfo
	switch rec["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := rec["@message"].(string)
	attrs := make([]slog.Attr, 0, len(rec))
	for k, v := range rec {
		if k == "@level" || k == "@message" || k == "@timestamp" || k == "@module" {
			continue
		}
		attrs = append(attrs, slog.Any(k, v))
	}
	w.log.LogAttrs(context.Background(), level, msg, attrs...)
}
