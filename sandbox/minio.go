package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/noscites/citadel/internal/minioproc"
)

// minioBinary finds MinIO's server as the tests do: $CITADEL_MINIO_BIN,
// then .tools/minio under the current directory (what `make tools`
// builds; `make demo` runs from the repository root), then minio on PATH.
// "" when there is none: the sandbox then uses a directory per site.
func minioBinary() string {
	if p := os.Getenv("CITADEL_MINIO_BIN"); p != "" {
		return p
	}
	if p, err := filepath.Abs(filepath.Join(".tools", "minio")); err == nil {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	return ""
}

// startMinIO starts a MinIO server storing into dir on free loopback
// ports and waits until its S3 API answers.
func startMinIO(ctx context.Context, bin, dir, accessKey, secretKey string) (*minioproc.Server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, err
	}
	return minioproc.Start(ctx, minioproc.Options{Bin: bin, Dir: dir, Addr: addr, ConsoleAddr: console,
		AccessKey: accessKey, SecretKey: secretKey})
}
