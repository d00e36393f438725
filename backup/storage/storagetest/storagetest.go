// Package storagetest is the conformance suite every backup storage backend
// passes: the same behaviour, checked the same way, against the filesystem
// and against a real MinIO server.
package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/storage"
)

// Options describe what the backend under test can do.
type Options struct {
	// LargeSize is the size of the object that must span several multipart
	// parts (0 skips the large-object and leftover tests).
	LargeSize int
}

// Run checks the contract of storage.Storage; open returns a fresh, empty
// storage for each subtest.
func Run(t *testing.T, open func(t *testing.T) storage.Storage, opts Options) {
	tests := []struct {
		name string
		fn   func(*testing.T, storage.Storage)
	}{
		{"RoundTrip", testRoundTrip},
		{"Empty", testEmpty},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"ListPrefix", testListPrefix},
		{"ListEarlyStop", testListEarlyStop},
		{"Delete", testDelete},
		{"FailedPutLeavesNothing", testFailedPut},
		{"CancelledPutLeavesNothing", testCancelledPut},
		{"Concurrent", testConcurrent},
		{"ObjectLock", testObjectLock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	if opts.LargeSize > 0 {
		t.Run("Large", func(t *testing.T) { testLarge(t, open(t), opts.LargeSize) })
		t.Run("Leftovers", func(t *testing.T) { testLeftovers(t, open(t), opts.LargeSize) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, s storage.Storage, key string, body []byte) storage.Info {
	t.Helper()
	info, err := s.Put(ctx(t), key, bytes.NewReader(body), storage.PutOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	if info.Key != key || info.Size != int64(len(body)) {
		t.Fatalf("put %s: info %+v, want size %d", key, info, len(body))
	}
	return info
}

func get(t *testing.T, s storage.Storage, key string) []byte {
	t.Helper()
	b, err := storage.ReadAll(ctx(t), s, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b
}

func keys(t *testing.T, s storage.Storage, prefix string) []string {
	t.Helper()
	infos, err := storage.Collect(ctx(t), s, prefix)
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	out := []string{}
	for _, i := range infos {
		out = append(out, i.Key)
	}
	return out
}

func testRoundTrip(t *testing.T, s storage.Storage) {
	body := []byte("citadel backup object\x00with binary\xff")
	put(t, s, "rs0/20260101T000000Z-abcd/db/coll.bson.zst", body)
	if got := get(t, s, "rs0/20260101T000000Z-abcd/db/coll.bson.zst"); !bytes.Equal(got, body) {
		t.Fatalf("get returned %q, want %q", got, body)
	}
	info, err := s.Stat(ctx(t), "rs0/20260101T000000Z-abcd/db/coll.bson.zst")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(body)) || info.Modified.IsZero() {
		t.Fatalf("stat = %+v", info)
	}
	if !strings.Contains(storage.Where(s, "k"), "k") {
		t.Fatalf("Where does not name the key: %s", storage.Where(s, "k"))
	}
}

func testEmpty(t *testing.T, s storage.Storage) {
	put(t, s, "empty", nil)
	if got := get(t, s, "empty"); len(got) != 0 {
		t.Fatalf("empty object read back %d bytes", len(got))
	}
}

func testOverwrite(t *testing.T, s storage.Storage) {
	put(t, s, "a/b", []byte("first version, longer"))
	put(t, s, "a/b", []byte("second"))
	if got := string(get(t, s, "a/b")); got != "second" {
		t.Fatalf("after overwrite: %q", got)
	}
}

func testNotFound(t *testing.T, s storage.Storage) {
	if _, err := s.Stat(ctx(t), "missing/key"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("stat missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx(t), "missing/key"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get missing: %v, want ErrNotFound", err)
	} else if !strings.Contains(err.Error(), "missing/key") {
		t.Fatalf("error does not name the key: %v", err)
	}
	put(t, s, "dir/file", []byte("x"))
	if _, err := s.Stat(ctx(t), "dir"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("stat of a key prefix: %v, want ErrNotFound", err)
	}
}

func testInvalidKeys(t *testing.T, s storage.Storage) {
	for _, k := range []string{"", "/abs", "a//b", "a/../b", "./a", "a/", "a\\b", "a\x00b"} {
		if _, err := s.Put(ctx(t), k, strings.NewReader("x"), storage.PutOptions{}); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("put %q: %v, want ErrInvalidKey", k, err)
		}
		if _, err := s.Stat(ctx(t), k); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("stat %q: %v, want ErrInvalidKey", k, err)
		}
	}
}

func testListPrefix(t *testing.T, s storage.Storage) {
	for _, k := range []string{"rs/b/2", "rs/a.x", "rs/a/1", "rs/a/0", "rs/ab", "other/z", "rs2/x"} {
		put(t, s, k, []byte(k))
	}
	cases := map[string][]string{
		"":      {"other/z", "rs/a.x", "rs/a/0", "rs/a/1", "rs/ab", "rs/b/2", "rs2/x"},
		"rs/":   {"rs/a.x", "rs/a/0", "rs/a/1", "rs/ab", "rs/b/2"},
		"rs/a":  {"rs/a.x", "rs/a/0", "rs/a/1", "rs/ab"},
		"rs/a/": {"rs/a/0", "rs/a/1"},
		"rs":    {"rs/a.x", "rs/a/0", "rs/a/1", "rs/ab", "rs/b/2", "rs2/x"},
		"nope/": {},
	}
	for prefix, want := range cases {
		if got := keys(t, s, prefix); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("list %q = %v, want %v", prefix, got, want)
		}
	}
	infos, _ := storage.Collect(ctx(t), s, "rs/a/0")
	if len(infos) != 1 || infos[0].Size != int64(len("rs/a/0")) {
		t.Errorf("list sizes: %+v", infos)
	}
}

func testListEarlyStop(t *testing.T, s storage.Storage) {
	for _, k := range []string{"p/1", "p/2", "p/3"} {
		put(t, s, k, []byte("x"))
	}
	n := 0
	for _, err := range s.List(ctx(t), "p/") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("stopped after %d", n)
	}
}

func testDelete(t *testing.T, s storage.Storage) {
	put(t, s, "d/x/1", []byte("1"))
	put(t, s, "d/y", []byte("2"))
	if err := s.Delete(ctx(t), "d/x/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx(t), "d/x/1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("stat after delete: %v", err)
	}
	if err := s.Delete(ctx(t), "d/x/1"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if got := keys(t, s, "d/"); strings.Join(got, ",") != "d/y" {
		t.Fatalf("after delete: %v", got)
	}
}

// failingReader yields n bytes, then an error.
type failingReader struct{ n int }

var errBroken = errors.New("source broke")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errBroken
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	for i := range p {
		p[i] = 'x'
	}
	f.n -= len(p)
	return len(p), nil
}

func testFailedPut(t *testing.T, s storage.Storage) {
	for _, size := range []int{10, 12 << 20} {
		_, err := s.Put(ctx(t), "broken/obj", &failingReader{n: size}, storage.PutOptions{})
		if !errors.Is(err, errBroken) {
			t.Fatalf("put from a failing reader (%d bytes): %v, want the reader's error", size, err)
		}
		if _, err := s.Stat(ctx(t), "broken/obj"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("a failed put left an object: %v", err)
		}
		if got := keys(t, s, ""); len(got) != 0 {
			t.Fatalf("a failed put left %v", got)
		}
		if got := leftovers(t, s, ""); len(got) != 0 {
			t.Fatalf("a failed put left the leftovers %+v", got)
		}
	}
}

func leftovers(t *testing.T, s storage.Storage, prefix string) []storage.Leftover {
	t.Helper()
	out := []storage.Leftover{}
	for l, err := range s.Leftovers(ctx(t), prefix) {
		if err != nil {
			t.Fatalf("leftovers %q: %v", prefix, err)
		}
		out = append(out, l)
	}
	return out
}

// slowReader blocks after the first bytes until its context ends.
type slowReader struct {
	ctx  context.Context
	sent bool
}

func (r *slowReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "partial"), nil
	}
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

func testCancelledPut(t *testing.T, s storage.Storage) {
	c, cancel := context.WithCancel(ctx(t))
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := s.Put(c, "cancelled", &slowReader{ctx: c}, storage.PutOptions{}); err == nil {
		t.Fatal("a cancelled put succeeded")
	}
	if _, err := s.Stat(ctx(t), "cancelled"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a cancelled put left an object: %v", err)
	}
	if got := leftovers(t, s, ""); len(got) != 0 {
		t.Fatalf("a cancelled put left the leftovers %+v", got)
	}
}

func testConcurrent(t *testing.T, s storage.Storage) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			key := "c/" + string(rune('a'+i))
			if _, err := s.Put(ctx(t), key, strings.NewReader(strings.Repeat(key, 1000)), storage.PutOptions{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := keys(t, s, "c/"); len(got) != 8 {
		t.Fatalf("concurrent puts: %v", got)
	}
}

func testObjectLock(t *testing.T, s storage.Storage) {
	until := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	_, err := s.Put(ctx(t), "locked", strings.NewReader("keep me"), storage.PutOptions{RetainUntil: until})
	if !s.Capabilities().ObjectLock {
		if !errors.Is(err, storage.ErrUnsupported) {
			t.Fatalf("put with retention on a backend without object lock: %v, want ErrUnsupported", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("put with retention: %v", err)
	}
	info, err := s.Stat(ctx(t), "locked")
	if err != nil {
		t.Fatal(err)
	}
	if !info.RetainUntil.Equal(until) {
		t.Fatalf("retain until %v, want %v", info.RetainUntil, until)
	}
	if err := s.Delete(ctx(t), "locked"); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("delete of a locked object: %v, want ErrLocked", err)
	}
	if got := string(get(t, s, "locked")); got != "keep me" {
		t.Fatalf("locked object changed: %q", got)
	}
}

func testLarge(t *testing.T, s storage.Storage, size int) {
	body := make([]byte, size)
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	// A reader without WriterTo/Len forces the streamed path.
	info, err := s.Put(ctx(t), "large/object", io.MultiReader(bytes.NewReader(body)), storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(size) {
		t.Fatalf("put size %d, want %d", info.Size, size)
	}
	if got := get(t, s, "large/object"); !bytes.Equal(got, body) {
		t.Fatalf("large object differs (got %d bytes)", len(got))
	}
}

// heldReader yields n bytes, then blocks until release is closed, then
// ends the stream.
type heldReader struct {
	n       int
	release chan struct{}
}

func (h *heldReader) Read(p []byte) (int, error) {
	if h.n == 0 {
		<-h.release
		return 0, io.EOF
	}
	p = p[:min(len(p), h.n)]
	for i := range p {
		p[i] = 'h'
	}
	h.n -= len(p)
	return len(p), nil
}

// testLeftovers: a put that has not completed (as a killed process leaves
// it) is a leftover under its key, with its size, and no object; removing
// it makes the put fail and leaves nothing.
func testLeftovers(t *testing.T, s storage.Storage, size int) {
	put(t, s, "lo/done", []byte("complete"))
	release := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		_, err := s.Put(ctx(t), "lo/20260101/running", &heldReader{n: size, release: release}, storage.PutOptions{})
		result <- err
	}()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	var l storage.Leftover
	deadline := time.Now().Add(time.Minute)
	for l.Size == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no leftover with data for a running put after a minute: %+v", leftovers(t, s, ""))
		}
		time.Sleep(20 * time.Millisecond)
		for _, x := range leftovers(t, s, "lo/") {
			if x.Key == "lo/20260101/running" {
				l = x
			}
		}
	}
	if l.Modified.IsZero() || l.Size > int64(size) {
		t.Fatalf("leftover %+v of a put that sent %d bytes", l, size)
	}
	if got := leftovers(t, s, "other/"); len(got) != 0 {
		t.Fatalf("leftovers under another prefix: %+v", got)
	}
	if got := keys(t, s, "lo/"); strings.Join(got, ",") != "lo/done" {
		t.Fatalf("a running put is listed: %v", got)
	}
	if err := s.RemoveLeftover(ctx(t), l); err != nil {
		t.Fatalf("remove leftover: %v", err)
	}
	if err := s.RemoveLeftover(ctx(t), l); err != nil {
		t.Fatalf("remove a leftover already gone: %v", err)
	}
	close(release)
	if err := <-result; err == nil {
		t.Fatal("a put whose leftover was removed succeeded")
	}
	if _, err := s.Stat(ctx(t), "lo/20260101/running"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a put whose leftover was removed left an object: %v", err)
	}
	if got := leftovers(t, s, ""); len(got) != 0 {
		t.Fatalf("leftovers after removal: %+v", got)
	}
	if got := get(t, s, "lo/done"); string(got) != "complete" {
		t.Fatalf("the complete object next to it changed: %q", got)
	}
}
