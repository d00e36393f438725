package s3_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

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
