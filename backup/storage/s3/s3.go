// Package s3 is the S3 backend of backup storage, written for self-hosted
// MinIO through minio-go/v7: streamed multipart uploads with a bounded part
// buffer, listing by prefix, and compliance-mode object lock on buckets
// created with it.
//
// S3 makes a completed PUT or multipart upload visible atomically; a failed
// multipart upload is aborted, and MinIO removes parts left by a killed
// process after its stale-upload expiry (24 h by default).
package s3

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/noscites/citadel/backup/storage"
)

// DefaultPartSize is the multipart part size: the memory one upload holds.
const DefaultPartSize = 16 << 20

// minPartSize is S3's smallest part.
const minPartSize = 5 << 20

// Config locates a bucket.
type Config struct {
	Endpoint  string // host:port
	Bucket    string
	Region    string
	Prefix    string // key prefix inside the bucket, without leading "/"
	AccessKey string
	SecretKey string
	Secure    bool // https
	// TLS is the client TLS configuration for https (CA, client
	// certificate); nil uses the system's roots.
	TLS *tls.Config
	// PartSize is the multipart part size (default 16 MiB, minimum 5 MiB).
	PartSize int64
}

// Storage is a bucket (and key prefix) on an S3-compatible server.
type Storage struct {
	client   *minio.Client
	bucket   string
	prefix   string
	endpoint string
	partSize int64
}

var _ storage.Storage = (*Storage)(nil)

// New connects to the server; no request is sent until the first call.
func New(cfg Config) (*Storage, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("open s3 storage: endpoint and bucket are required")
	}
	transport, err := transport(cfg)
	if err != nil {
		return nil, err
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.Secure,
		Region:    cfg.Region,
		Transport: transport,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 storage %s/%s: %w", cfg.Endpoint, cfg.Bucket, err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := storage.CheckKey(prefix); err != nil {
			return nil, fmt.Errorf("open s3 storage: prefix: %w", err)
		}
		prefix += "/"
	}
	part := cfg.PartSize
	if part == 0 {
		part = DefaultPartSize
	}
	if part < minPartSize {
		part = minPartSize
	}
	return &Storage{client: client, bucket: cfg.Bucket, prefix: prefix, endpoint: cfg.Endpoint, partSize: part}, nil
}

func transport(cfg Config) (http.RoundTripper, error) {
	t, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("open s3 storage: %w", err)
	}
	if !cfg.Secure {
		return t, nil
	}
	if cfg.TLS != nil {
		t.TLSClientConfig = cfg.TLS
	}
	return t, nil
}

// CreateBucket makes the bucket when it does not exist, with object lock
// enabled when asked (object lock can only be chosen at creation).
func (s *Storage) CreateBucket(ctx context.Context, objectLock bool) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s on %s: %w", s.bucket, s.endpoint, s.classify(err))
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{ObjectLocking: objectLock}); err != nil {
		return fmt.Errorf("create bucket %s on %s: %w", s.bucket, s.endpoint, s.classify(err))
	}
	return nil
}

// String returns s3://bucket/prefix.
func (s *Storage) String() string {
	return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/")
}

// Capabilities: S3 buckets created with object lock enforce retention.
func (s *Storage) Capabilities() storage.Capabilities {
	return storage.Capabilities{ObjectLock: true}
}

func (s *Storage) object(key string) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Put uploads r. Objects smaller than one part go in a single PUT; larger
// ones stream as a multipart upload that holds exactly one part in memory.
// A failed multipart upload is aborted, so nothing appears under key.
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, opts storage.PutOptions) (storage.Info, error) {
	name, err := s.object(key)
	if err != nil {
		return storage.Info{}, err
	}
	po := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if !opts.RetainUntil.IsZero() {
		po.Mode = minio.Compliance
		po.RetainUntilDate = opts.RetainUntil.UTC()
	}
	buf := make([]byte, s.partSize)
	n, rerr := io.ReadFull(r, buf)
	var info minio.UploadInfo
	switch {
	case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
		info, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(buf[:n]), int64(n), po)
	case rerr != nil:
		err = rerr
	default:
		info, err = s.multipart(ctx, name, buf, r, po)
	}
	if err != nil {
		return storage.Info{}, s.wrap("put", key, err)
	}
	return storage.Info{Key: key, Size: info.Size, Modified: info.LastModified, RetainUntil: opts.RetainUntil}, nil
}

// multipart uploads buf (already full) and the rest of r part by part,
// reusing buf for every part.
func (s *Storage) multipart(ctx context.Context, name string, buf []byte, r io.Reader, po minio.PutObjectOptions) (info minio.UploadInfo, err error) {
	core := minio.Core{Client: s.client}
	id, err := core.NewMultipartUpload(ctx, s.bucket, name, po)
	if err != nil {
		return info, err
	}
	defer func() {
		if err != nil {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = core.AbortMultipartUpload(actx, s.bucket, name, id)
		}
	}()
	var parts []minio.CompletePart
	var total int64
	n := len(buf)
	for num := 1; n > 0; num++ {
		part, err := core.PutObjectPart(ctx, s.bucket, name, id, num, bytes.NewReader(buf[:n]), int64(n), minio.PutObjectPartOptions{})
		if err != nil {
			return info, fmt.Errorf("upload part %d: %w", num, err)
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: part.ETag})
		total += int64(n)
		var rerr error
		n, rerr = io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return info, rerr
		}
	}
	info, err = core.CompleteMultipartUpload(ctx, s.bucket, name, id, parts, po)
	if err != nil {
		return info, fmt.Errorf("complete multipart upload: %w", err)
	}
	info.Size = total
	return info, nil
}

// Get opens the object; the first read error of a missing object is
// detected here with a stat so callers get ErrNotFound up front.
func (s *Storage) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.wrap("get", key, err)
	}
	return &reader{obj: obj, s: s, key: key}, nil
}

// reader names the object in read errors.
type reader struct {
	obj *minio.Object
	s   *Storage
	key string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.wrap("read", r.key, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.obj.Close() }

// Stat describes the object, with its retain-until date when locked.
func (s *Storage) Stat(ctx context.Context, key string) (storage.Info, error) {
	name, err := s.object(key)
	if err != nil {
		return storage.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return storage.Info{}, s.wrap("stat", key, err)
	}
	info := storage.Info{Key: key, Size: oi.Size, Modified: oi.LastModified}
	if v := oi.Headers.Get("X-Amz-Object-Lock-Retain-Until-Date"); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			info.RetainUntil = t
		}
	}
	return info, nil
}

// List yields objects under prefix in lexical order.
func (s *Storage) List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error] {
	return func(yield func(storage.Info, error) bool) {
		if err := storage.CheckPrefix(prefix); err != nil {
			yield(storage.Info{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops minio-go's listing goroutine on early exit
		for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
			if oi.Err != nil {
				yield(storage.Info{}, fmt.Errorf("list %s: %w", storage.Where(s, prefix), s.classify(oi.Err)))
				return
			}
			info := storage.Info{Key: strings.TrimPrefix(oi.Key, s.prefix), Size: oi.Size, Modified: oi.LastModified}
			if !yield(info, nil) {
				return
			}
		}
	}
}

// Delete removes the object. On a versioned bucket (object lock implies
// versioning) it removes the current version itself rather than hiding it
// behind a delete marker, so pruning frees space and a locked object
// reports ErrLocked instead of seeming deleted.
func (s *Storage) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil
		}
		return s.wrap("delete", key, err)
	}
	opts := minio.RemoveObjectOptions{}
	if oi.VersionID != "" && oi.VersionID != "null" {
		opts.VersionID = oi.VersionID
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, opts); err != nil {
		return s.wrap("delete", key, err)
	}
	return nil
}

func (s *Storage) wrap(verb, key string, err error) error {
	resp := response(err)
	switch {
	case resp.Code == minio.NoSuchBucket:
		return fmt.Errorf("%s %s: %w", verb, storage.Where(s, key), s.classify(err))
	case resp.Code == minio.NoSuchKey || resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket:
		return fmt.Errorf("%s %s: %w", verb, storage.Where(s, key), storage.ErrNotFound)
	case locked(resp):
		return fmt.Errorf("%s %s: %w: %s", verb, storage.Where(s, key), storage.ErrLocked, resp.Message)
	}
	return fmt.Errorf("%s %s on %s: %w", verb, storage.Where(s, key), s.endpoint, err)
}

// locked recognises the refusals of a delete under object-lock retention
// (MinIO answers InvalidRequest "Object is WORM protected…").
func locked(resp minio.ErrorResponse) bool {
	msg := strings.ToLower(resp.Message)
	return resp.Code == "ObjectLocked" || resp.Code == "InvalidRequest" && strings.Contains(msg, "worm") ||
		resp.Code == "AccessDenied" && (strings.Contains(msg, "worm") || strings.Contains(msg, "retention") || strings.Contains(msg, "lock"))
}
