// Package stream holds the byte pipeline of every stored backup object and
// the reader of BSON document streams.
//
// Writing: plaintext (BSON documents, JSON metadata) → zstd → optional age
// encryption → a counting SHA-256 → a streamed storage put, all in one pass
// with bounded memory. Reading reverses it and can check the stored bytes'
// size and SHA-256 on the way.
package stream

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// Compression algorithms.
const (
	Zstd = "zstd"
	None = "none"
)

// ErrNoIdentity means an object is encrypted and no identity was given.
var ErrNoIdentity = errors.New("the backup is encrypted and no age identity was given")

// Codec says how objects are encoded when written.
type Codec struct {
	Compression string // Zstd (default) or None
	Level       int    // 1 fastest … 4 best; 0 is 2
	Recipients  []age.Recipient
	// Threads is how many goroutines compress one object (0 or 1: one).
	// More help only when fewer objects are written at once than there
	// are cores: a backup dominated by one large collection.
	Threads int
}

// Encrypted reports whether objects are encrypted.
func (c Codec) Encrypted() bool { return len(c.Recipients) > 0 }

// Compressed reports whether objects are compressed.
func (c Codec) Compressed() bool { return c.Compression != None }

// Suffix is what the encodings add to a file name: ".zst" and/or ".age".
func (c Codec) Suffix(compressible bool) string {
	s := ""
	if compressible && c.Compressed() {
		s += ".zst"
	}
	if c.Encrypted() {
		s += ".age"
	}
	return s
}

func (c Codec) zstdLevel() zstd.EncoderLevel {
	switch c.Level {
	case 1:
		return zstd.SpeedFastest
	case 3:
		return zstd.SpeedBetterCompression
	case 4:
		return zstd.SpeedBestCompression
	}
	return zstd.SpeedDefault
}

// Validate checks the codec's settings.
func (c Codec) Validate() error {
	switch c.Compression {
	case "", Zstd, None:
	default:
		return fmt.Errorf("unknown compression %q: use zstd or none", c.Compression)
	}
	if c.Level < 0 || c.Level > 4 {
		return fmt.Errorf("compression level %d out of range 1..4", c.Level)
	}
	return nil
}

// LoadRecipients reads age recipients (age1… public keys), one per line,
// '#' comments allowed, and returns them with their text forms.
func LoadRecipients(file string) ([]age.Recipient, []string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("read age recipients: %w", err)
	}
	rs, err := age.ParseRecipients(strings.NewReader(string(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("parse age recipients in %s: %w", file, err)
	}
	var text []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			text = append(text, line)
		}
	}
	return rs, text, nil
}

// LoadIdentities reads age identities (AGE-SECRET-KEY-1… lines) from a file.
func LoadIdentities(file string) ([]age.Identity, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read age identity: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("parse age identity file %s: %w", file, err)
	}
	return ids, nil
}
