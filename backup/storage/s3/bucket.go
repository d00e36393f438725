package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/minio/minio-go/v7"

	"github.com/noscites/citadel/backup/storage"
)

// Why a request failed before reaching the bucket, for `citadel storage
// check`: each names the check that failed.
var (
	// ErrUnreachable means no HTTP answer came back: DNS, connection,
	// TLS or timeout.
	ErrUnreachable = errors.New("server unreachable")
	// ErrCredentials means the server refused the access key or the
	// signature made with the secret key.
	ErrCredentials = errors.New("credentials refused")
	// ErrAccessDenied means the credentials are valid but lack a
	// permission on the bucket.
	ErrAccessDenied = errors.New("access denied")
)

// noBucket is the error of any request on a bucket that does not exist:
// it names the bucket and the server, and is storage.ErrNoBucket.
type noBucket struct{ bucket, endpoint string }

func (e *noBucket) Error() string {
	return fmt.Sprintf("bucket %q does not exist at %s", e.bucket, e.endpoint)
}

func (e *noBucket) Is(target error) bool { return target == storage.ErrNoBucket }

// response is the S3 error answer inside err (minio's ToErrorResponse
// does not look through wrapping); the zero value when there is none.
func response(err error) minio.ErrorResponse {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		return resp
	}
	return minio.ErrorResponse{}
}

// classify says what an error of a bucket-level request means: no
// answer, refused credentials, a denied permission, a missing bucket;
// other errors come back as they are.
func (s *Storage) classify(err error) error {
	resp := response(err)
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case resp.Code == minio.NoSuchBucket:
		return &noBucket{bucket: s.bucket, endpoint: s.endpoint}
	case resp.Code == "" && resp.StatusCode == 0:
		return fmt.Errorf("%w: %s: %w", ErrUnreachable, s.endpoint, err)
	case resp.Code == minio.InvalidAccessKeyID || resp.Code == minio.SignatureDoesNotMatch ||
		resp.Code == "InvalidToken" || resp.Code == "ExpiredToken" || resp.Code == minio.RequestTimeTooSkewed:
		return fmt.Errorf("%w by %s: %s (%s)", ErrCredentials, s.endpoint, resp.Message, resp.Code)
	case resp.Code == minio.AccessDenied:
		return fmt.Errorf("%w to bucket %q at %s: %s", ErrAccessDenied, s.bucket, s.endpoint, resp.Message)
	}
	return err
}

// Bucket is what the server says of the storage's bucket.
type Bucket struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Exists   bool   `json:"exists"`
	// ObjectLock is true for a bucket created with object lock.
	ObjectLock bool `json:"object_lock"`
	// DefaultMode and DefaultDays are the bucket's default retention,
	// applied to objects put without their own; empty and 0 without one.
	DefaultMode string `json:"default_mode,omitempty"`
	DefaultDays int    `json:"default_days,omitempty"`
}

// Inspect asks the server about the bucket with one request (its
// object-lock configuration), so that the answer also tells whether the
// server is reachable and the credentials valid: errors wrap
// ErrUnreachable, ErrCredentials or ErrAccessDenied. A missing bucket
// is not an error: Exists is false.
func (s *Storage) Inspect(ctx context.Context) (Bucket, error) {
	b := Bucket{Name: s.bucket, Endpoint: s.endpoint, Exists: true}
	enabled, mode, validity, unit, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if err != nil {
		if code := response(err).Code; code == "ObjectLockConfigurationNotFoundError" {
			return b, nil
		}
		err = s.classify(err)
		if errors.Is(err, storage.ErrNoBucket) {
			b.Exists = false
			return b, nil
		}
		return b, fmt.Errorf("inspect bucket %q at %s: %w", s.bucket, s.endpoint, err)
	}
	b.ObjectLock = enabled == "Enabled"
	if mode != nil && validity != nil {
		b.DefaultMode, b.DefaultDays = string(*mode), int(*validity)
		if unit != nil && *unit == minio.Years {
			b.DefaultDays *= 365
		}
	}
	return b, nil
}
