package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/noscites/citadel/backup"
	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/config"
)

// Saver keeps a document somewhere safe (the backup storage, or a local
// directory) and says where.
type Saver interface {
	Save(ctx context.Context, key string, data []byte) (string, error)
}

// DirSaver saves into a local directory.
type DirSaver struct{ Dir string }

// Save writes Dir/key (directories created, mode 0600) and returns its path.
func (s DirSaver) Save(_ context.Context, key string, data []byte) (string, error) {
	path := filepath.Join(s.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("save %s: %w", key, err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("save %s: %w", key, err)
	}
	return path, nil
}

// storageSaver saves into a backup storage.
type storageSaver struct{ st storage.Storage }

// Save puts key and returns where it is.
func (s storageSaver) Save(ctx context.Context, key string, data []byte) (string, error) {
	if _, err := storage.PutBytes(ctx, s.st, key, data, storage.PutOptions{}); err != nil {
		return "", fmt.Errorf("save %s: %w", storage.Where(s.st, key), err)
	}
	return storage.Where(s.st, key), nil
}

// storageTimeout bounds a save to a storage before the local fallback: a
// disaster must not wait for a bucket.
const storageTimeout = 20 * time.Second

// fallbackSaver tries primary (within 20 s), then local.
type fallbackSaver struct {
	primary, local Saver
	log            *slog.Logger
}

// Save implements Saver.
func (f fallbackSaver) Save(ctx context.Context, key string, data []byte) (string, error) {
	ctx2, cancel := context.WithTimeout(ctx, storageTimeout)
	defer cancel()
	where, err := f.primary.Save(ctx2, key, data)
	if err == nil {
		return where, nil
	}
	f.log.Warn("saving to the storage failed; saving locally", "err", err)
	return f.local.Save(ctx, key, data)
}

// siteStorage is the storage of the file that keeps what citadel saves
// during a failover or a rejoin: one in site when there is one, else the
// first; nil when the file configures none.
func siteStorage(cfg *config.Config, site string) *config.Storage {
	var pick *config.Storage
	for i := range cfg.Storages {
		if s := &cfg.Storages[i]; pick == nil || s.Site == site && pick.Site != site {
			pick = s
		}
	}
	return pick
}

// FailoverSaver keeps the saved config of a failover in a storage of the
// surviving site (else any storage) when the file configures one, falling
// back to dir when the storage cannot be opened or written.
func FailoverSaver(cfg *config.Config, site, dir string, log *slog.Logger) Saver {
	local := DirSaver{Dir: dir}
	pick := siteStorage(cfg, site)
	if pick == nil {
		return local
	}
	st, err := backup.OpenNamedStorage(pick)
	if err != nil {
		log.Warn("storage unusable for the saved config; saving locally", "storage", pick.Name, "err", err)
		return local
	}
	return fallbackSaver{primary: storageSaver{st}, local: local, log: log}
}
