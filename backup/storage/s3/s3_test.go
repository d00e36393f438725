package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/s3"
	"github.com/noscites/citadel/backup/storage/storagetest"
	"github.com/noscites/citadel/test/testbed"
)

// TestConformance runs the storage suite against a real MinIO server, one
// bucket with object lock per subtest.
func TestConformance(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	var n atomic.Int32
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, err := s3.New(s3.Config{
			Endpoint: srv.Endpoint, Bucket: fmt.Sprintf("conformance-%d", n.Add(1)), Prefix: "citadel/test",
			AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: 5 << 20,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateBucket(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		return s
	}, storagetest.Options{LargeSize: 12<<20 + 17})
}

// TestMissingBucket: every request on a bucket that does not exist fails
// with storage.ErrNoBucket, naming the bucket and the server, instead of
// S3's bare "The specified bucket does not exist".
func TestMissingBucket(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	ctx := context.Background()
	s, err := s3.New(s3.Config{Endpoint: srv.Endpoint, Bucket: "never-created", Prefix: "citadel", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("bucket %q does not exist at %s", "never-created", srv.Endpoint)
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrNoBucket) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s on a missing bucket: %v, want ErrNoBucket saying %q", op, err, want)
		}
	}
	_, err = storage.PutBytes(ctx, s, "main/x", []byte("x"), storage.PutOptions{})
	check("put", err)
	_, err = s.Put(ctx, "main/large", io.LimitReader(zeros{}, 6<<20), storage.PutOptions{}) // multipart
	check("multipart put", err)
	_, err = s.Get(ctx, "main/x")
	check("get", err)
	_, err = s.Stat(ctx, "main/x")
	check("stat", err)
	_, err = storage.Collect(ctx, s, "main/")
	check("list", err)
	err = nil
	for _, lerr := range s.Leftovers(ctx, "main/") {
		err = lerr
	}
	check("leftovers", err)
	b, err := s.Inspect(ctx)
	if err != nil || b.Exists {
		t.Errorf("inspect of a missing bucket: %+v, %v; want Exists false and no error", b, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestInspect: the object-lock mode of a bucket, and what a refused
// request means (unreachable server, refused credentials).
func TestInspect(t *testing.T) {
	srv := testbed.StartMinIOT(t)
	ctx := context.Background()
	open := func(bucket, secret, endpoint string) *s3.Storage {
		s, err := s3.New(s3.Config{Endpoint: endpoint, Bucket: bucket, AccessKey: srv.AccessKey, SecretKey: secret})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, lock := range []bool{false, true} {
		s := open(fmt.Sprintf("inspect-%v", lock), srv.SecretKey, srv.Endpoint)
		if err := s.CreateBucket(ctx, lock); err != nil {
			t.Fatal(err)
		}
		b, err := s.Inspect(ctx)
		if err != nil || !b.Exists || b.ObjectLock != lock || b.DefaultMode != "" {
			t.Errorf("inspect of a bucket created with object lock %v: %+v, %v", lock, b, err)
		}
	}
	_, err := open("inspect-true", "not-the-secret", srv.Endpoint).Inspect(ctx)
	if !errors.Is(err, s3.ErrCredentials) || errors.Is(err, s3.ErrUnreachable) {
		t.Errorf("inspect with a wrong secret key: %v, want ErrCredentials", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err = open("inspect-true", srv.SecretKey, testbed.FreeAddr(t)).Inspect(cctx)
	if !errors.Is(err, s3.ErrUnreachable) {
		t.Errorf("inspect of a server that is not there: %v, want ErrUnreachable", err)
	}
}
