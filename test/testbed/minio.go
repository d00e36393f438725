package testbed

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/noscites/citadel/internal/minioproc"
)

// MinIO is a running MinIO server.
type MinIO struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
	Dir       string

	srv *minioproc.Server
}

// MinIOBinary finds the server: $CITADEL_MINIO_BIN, then .tools/minio at the
// repository root (built by `make tools`), then minio on PATH.
func MinIOBinary() (string, error) {
	if p := os.Getenv("CITADEL_MINIO_BIN"); p != "" {
		return p, nil
	}
	if root, err := RepoRoot(); err == nil {
		p := filepath.Join(root, ".tools", "minio")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("minio")
	if err != nil {
		return "", errors.New("no minio binary: run `make tools` (builds .tools/minio) or set CITADEL_MINIO_BIN")
	}
	return p, nil
}

// StartMinIO starts a MinIO server storing into dir and waits until it is ready.
func StartMinIO(ctx context.Context, dir, addr, consoleAddr string) (*MinIO, error) {
	bin, err := MinIOBinary()
	if err != nil {
		return nil, err
	}
	srv, err := minioproc.Start(ctx, minioproc.Options{Bin: bin, Dir: dir, Addr: addr, ConsoleAddr: consoleAddr,
		AccessKey: "citadel-test", SecretKey: "citadel-test-secret"})
	if err != nil {
		return nil, err
	}
	return &MinIO{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Dir: dir, srv: srv}, nil
}

// Stop kills the server and waits for it.
func (m *MinIO) Stop() { m.srv.Kill() }

// StartMinIOT starts a MinIO for one test and stops it at cleanup.
func StartMinIOT(t testing.TB) *MinIO {
	t.Helper()
	m, err := StartMinIO(context.Background(), t.TempDir(), FreeAddr(t), FreeAddr(t))
	if err != nil {
		Unavailable(t, "MinIO", err)
	}
	t.Logf("testbed: MinIO started at %s (pid %d)", m.Endpoint, m.srv.Pid())
	t.Cleanup(m.Stop)
	return m
}
