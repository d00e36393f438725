package s3

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/noscites/citadel/backup/storage"
)

// Leftovers yields the incomplete multipart uploads under prefix, with
// the size of the parts they hold.
//
// The bucket's uploads are listed without a prefix and filtered here:
// MinIO lists uploads by prefix only for an exact object name, and
// without one lists the uploads it has seen since it started (it aborts
// the older ones itself after its stale-upload expiry, 24 h by default).
func (s *Storage) Leftovers(ctx context.Context, prefix string) iter.Seq2[storage.Leftover, error] {
	return storage.Collected(prefix, func() ([]storage.Leftover, error) { return s.leftovers(ctx, prefix) })
}

func (s *Storage) leftovers(ctx context.Context, prefix string) ([]storage.Leftover, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []storage.Leftover
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, "", true) {
		if u.Err != nil {
			return nil, fmt.Errorf("list incomplete uploads under %s: %w", storage.Where(s, prefix), s.classify(u.Err))
		}
		if !strings.HasPrefix(u.Key, s.prefix+prefix) {
			continue
		}
		size, err := s.uploaded(ctx, u.Key, u.UploadID)
		if err != nil {
			return nil, err
		}
		out = append(out, storage.Leftover{Key: strings.TrimPrefix(u.Key, s.prefix), Size: size, Modified: u.Initiated, Ref: u.UploadID})
	}
	slices.SortFunc(out, func(a, b storage.Leftover) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// uploaded sums the sizes of the parts an upload holds; an upload that
// ended meanwhile holds none.
func (s *Storage) uploaded(ctx context.Context, name, id string) (int64, error) {
	core := minio.Core{Client: s.client}
	var total int64
	for marker := 0; ; {
		res, err := core.ListObjectParts(ctx, s.bucket, name, id, marker, 1000)
		if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
			return total, nil
		}
		if err != nil {
			return 0, fmt.Errorf("list parts of the upload of %s: %w", storage.Where(s, strings.TrimPrefix(name, s.prefix)), err)
		}
		for _, p := range res.ObjectParts {
			total += p.Size
		}
		if !res.IsTruncated {
			return total, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// RemoveLeftover aborts the upload, which frees its parts.
func (s *Storage) RemoveLeftover(ctx context.Context, l storage.Leftover) error {
	name, err := s.object(l.Key)
	if err != nil {
		return err
	}
	err = minio.Core{Client: s.client}.AbortMultipartUpload(ctx, s.bucket, name, l.Ref)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return s.wrap("abort the upload of", l.Key, err)
	}
	return nil
}
