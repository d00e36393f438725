package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// minioServer is one MinIO process (one per simulated site).
type minioServer struct {
	endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
	logs     *tail
}

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

// startMinIO starts a MinIO server storing into dir on a free loopback
// port and waits until its S3 API answers.
func startMinIO(ctx context.Context, bin, dir, accessKey, secretKey string) (*minioServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	m := &minioServer{endpoint: addr, done: make(chan struct{}), logs: &tail{max: 8 << 10}}
	m.cmd = exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", console, dir)
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+accessKey, "MINIO_ROOT_PASSWORD="+secretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
	dieWithParent(m.cmd)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start minio %s: %w", bin, err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	if err := m.waitReady(ctx, time.Minute); err != nil {
		m.stop()
		return nil, fmt.Errorf("minio at %s not ready: %w; its output:\n%s", addr, err, m.logs)
	}
	return m, nil
}

// waitReady polls MinIO's readiness endpoint. The buckets are created
// afterwards by backup.InitStorages, which retries nothing: "Server not
// initialized yet" may still come just after readiness, so the caller
// retries the bucket creation.
func (m *minioServer) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	url := "http://" + m.endpoint + "/minio/health/ready"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
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

// stop terminates the server and waits for it (SIGKILL after 5 s).
func (m *minioServer) stop() {
	if m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(os.Interrupt)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

// tail keeps the last max bytes written (a server's output, for errors).
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
