package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// MaxDocument is the largest document the reader accepts: MongoDB's 16 MiB
// limit plus the 16 KiB of headroom oplog entries and mongodump allow.
const MaxDocument = 16<<20 + 16<<10

// ErrCorrupt means a BSON stream is malformed.
var ErrCorrupt = errors.New("corrupt BSON stream")

// DocReader reads a stream of concatenated BSON documents, the format of
// mongodump's .bson files.
type DocReader struct {
	r      io.Reader
	offset int64
	count  int64
}

// NewDocReader reads documents from r.
func NewDocReader(r io.Reader) *DocReader { return &DocReader{r: r} }

// Next returns the next document (a fresh slice) or io.EOF at a clean end.
func (d *DocReader) Next() (bson.Raw, error) {
	var head [4]byte
	n, err := io.ReadFull(d.r, head[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: truncated length at byte %d (after %d documents)", ErrCorrupt, d.offset+int64(n), d.count)
		}
		return nil, err
	}
	size := int64(binary.LittleEndian.Uint32(head[:]))
	if size < 5 || size > MaxDocument {
		return nil, fmt.Errorf("%w: document length %d at byte %d (after %d documents)", ErrCorrupt, size, d.offset, d.count)
	}
	doc := make([]byte, size)
	copy(doc, head[:])
	if _, err := io.ReadFull(d.r, doc[4:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: truncated document at byte %d (after %d documents)", ErrCorrupt, d.offset, d.count)
		}
		return nil, err
	}
	if err := bson.Raw(doc).Validate(); err != nil {
		return nil, fmt.Errorf("%w: invalid document at byte %d (after %d documents): %v", ErrCorrupt, d.offset, d.count, err)
	}
	d.offset += size
	d.count++
	return doc, nil
}

// Count is the number of documents read so far.
func (d *DocReader) Count() int64 { return d.count }
