package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/backup/manifest"
	"github.com/noscites/citadel/backup/storage"
)

// GapEntry is one recorded hole in a replica set's oplog archive.
type GapEntry struct {
	Key string
	Gap *manifest.Gap
}

// Gaps lists the gap records of a replica set, oldest first. A record
// that cannot be read is an error naming it: a hole must never go unseen.
func Gaps(ctx context.Context, st storage.Storage, rs string) ([]GapEntry, error) {
	var out []GapEntry
	for info, err := range st.List(ctx, layout.GapsPrefix(rs)) {
		if err != nil {
			return nil, err
		}
		if !strings.HasSuffix(info.Key, ".json") {
			continue
		}
		b, err := storage.ReadAll(ctx, st, info.Key)
		if err != nil {
			return nil, err
		}
		g, err := manifest.ParseGap(b)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", storage.Where(st, info.Key), err)
		}
		out = append(out, GapEntry{Key: info.Key, Gap: g})
	}
	return out, nil
}
