package jobs

import (
	"context"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/catalog"
	"github.com/noscites/citadel/backup/manifest"
)

// VerifyRequest checks one backup of a location.
type VerifyRequest struct {
	Location *Location
	ID       string // or "latest"
	// ReadData decodes every document and recomputes digests; Identity is
	// the age identity file for encrypted backups (default: the config's).
	ReadData bool
	Identity string
}

// Verify checks every object of a backup (and with ReadData every
// document). A damaged backup returns the report and an error wrapping
// fault.ErrVerification; other errors mean the check could not run.
func Verify(ctx context.Context, env Env, req VerifyRequest) (*manifest.Manifest, catalog.Report, error) {
	m, err := Find(ctx, req.Location, req.ID)
	if err != nil {
		return nil, catalog.Report{}, err
	}
	ids, err := backup.Identities(req.Identity, req.Location.Backup)
	if err != nil {
		return m, catalog.Report{}, err
	}
	// Verify reads objects, not documents: the bar counts their bytes.
	env.Progress.SetPhase("verify")
	env.Progress.AddCollections(len(m.Collections), 0)
	env.Progress.AddBytesTotal(storedBytes(m))
	rep, err := catalog.Verify(ctx, req.Location.Storage, m, catalog.VerifyOptions{ReadData: req.ReadData, Identities: ids,
		Progress: func(_ string, n int64) { env.Progress.Add(0, n) }})
	return m, rep, err
}

// storedBytes is the size of every object the manifest names.
func storedBytes(m *manifest.Manifest) int64 {
	var n int64
	for _, o := range m.Objects() {
		n += o.Size
	}
	return n
}
