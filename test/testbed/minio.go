package testbed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIO is a running MinIO server.
type MinIO struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
	Dir       string

	cmd  *exec.Cmd
	done chan struct{}
	logs *tailBuffer
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
	m := &MinIO{Endpoint: addr, AccessKey: "citadel-test", SecretKey: "citadel-test-secret", Dir: dir,
		done: make(chan struct{}), logs: &tailBuffer{max: 16 << 10}}
	m.cmd = exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", consoleAddr, dir)
	m.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.AccessKey, "MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
	dieWithParent(m.cmd)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	if err := m.waitReady(ctx, 60*time.Second); err != nil {
		m.Stop()
		return nil, fmt.Errorf("minio at %s not ready: %w; its output:\n%s", addr, err, m.logs.String())
	}
	if err := m.waitObjectLayer(ctx, 30*time.Second); err != nil {
		m.Stop()
		return nil, fmt.Errorf("minio at %s not ready: %w; its output:\n%s", addr, err, m.logs.String())
	}
	return m, nil
}

func (m *MinIO) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	url := "http://" + m.Endpoint + "/minio/health/ready"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.done:
			return errors.New("server exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitObjectLayer waits until S3 calls succeed: MinIO reports ready on its
// health endpoint a moment before it stops answering "Server not
// initialized yet" to requests.
func (m *MinIO) waitObjectLayer(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		return err
	}
	for {
		_, err := c.ListBuckets(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("list buckets: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop kills the server and waits for it.
func (m *MinIO) Stop() {
	if m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
	}
	<-m.done
}

// StartMinIOT starts a MinIO for one test and stops it at cleanup.
func StartMinIOT(t testing.TB) *MinIO {
	t.Helper()
	m, err := StartMinIO(context.Background(), t.TempDir(), FreeAddr(t), FreeAddr(t))
	if err != nil {
		Unavailable(t, "MinIO", err)
	}
	t.Logf("testbed: MinIO started at %s (pid %d)", m.Endpoint, m.cmd.Process.Pid)
	t.Cleanup(m.Stop)
	return m
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
