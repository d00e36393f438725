// Package minioproc runs a MinIO server as a child process: the one
// launcher behind the test bed's storages and the sandbox's sites. It
// starts the server on given loopback addresses, waits until its S3 API
// answers (MinIO reports ready on its health endpoint a moment before it
// stops answering "Server not initialized yet"), keeps the end of its
// output for errors, and stops it.
package minioproc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Options say which binary to run, where it stores and listens, and its
// root credentials.
type Options struct {
	Bin                  string
	Dir                  string
	Addr, ConsoleAddr    string // host:port each
	AccessKey, SecretKey string
	ReadyTimeout         time.Duration // health endpoint (60 s)
	ObjectLayerTimeout   time.Duration // first successful S3 call (30 s)
}

// Server is a running MinIO.
type Server struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
	Dir       string

	cmd  *exec.Cmd
	done chan struct{}
	logs *tail
}

// Start starts the server and waits until it serves S3 requests. The
// server dies with this process (Linux); Stop stops it sooner.
func Start(ctx context.Context, o Options) (*Server, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	s := &Server{Endpoint: o.Addr, AccessKey: o.AccessKey, SecretKey: o.SecretKey, Dir: o.Dir,
		done: make(chan struct{}), logs: &tail{max: 16 << 10}}
	s.cmd = exec.Command(o.Bin, "server", "--quiet", "--address", o.Addr, "--console-address", o.ConsoleAddr, o.Dir)
	s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+o.AccessKey, "MINIO_ROOT_PASSWORD="+o.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	dieWithParent(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start minio %s: %w", o.Bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	err := s.waitReady(ctx, durationOr(o.ReadyTimeout, time.Minute))
	if err == nil {
		err = s.waitObjectLayer(ctx, durationOr(o.ObjectLayerTimeout, 30*time.Second))
	}
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("minio at %s not ready: %w; its output:\n%s", o.Addr, err, s.logs)
	}
	return s, nil
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Output is the end of what the server printed.
func (s *Server) Output() string { return s.logs.String() }

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	url := "http://" + s.Endpoint + "/minio/health/ready"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return errors.New("server exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) waitObjectLayer(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		return err
	}
	for {
		_, err := c.ListBuckets(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return errors.New("server exited")
		case <-ctx.Done():
			return fmt.Errorf("list buckets: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop interrupts the server, kills it if it has not exited 5 s later,
// and waits for it.
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Kill kills the server at once and waits for it.
func (s *Server) Kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
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
	return strings.TrimSpace(string(t.b))
}
