// Package manifest holds the self-description of a backup: manifest.json,
// written last as the commit marker of a snapshot, and the small JSON record
// that commits each PITR oplog slice. Everything needed to list, verify and
// restore a backup is in these records and the objects they name.
package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/digest"
	"github.com/noscites/citadel/backup/storage"
)

// Format is the manifest format this code writes and reads.
const Format = 1

// ErrInvalid means a manifest or slice record does not parse or is inconsistent.
var ErrInvalid = errors.New("invalid manifest")

// Manifest describes one snapshot backup.
type Manifest struct {
	Format     int       `json:"format"`
	Tool       string    `json:"tool"` // "citadel <version>"
	ID         string    `json:"id"`
	ReplicaSet string    `json:"replica_set"`
	Source     Source    `json:"source"`
	Started    time.Time `json:"started"`  // wall clock when the run began
	Finished   time.Time `json:"finished"` // wall clock when the data was complete
	// Start and End bound the oplog slice: data + oplog replay up to End is
	// the set's state at End.
	Start       OpTime       `json:"start"`
	End         OpTime       `json:"end"`
	Compression Compression  `json:"compression"`
	Encryption  *Encryption  `json:"encryption,omitempty"`
	Digest      string       `json:"digest_algorithm"`
	Collections []Collection `json:"collections"`
	Oplog       Oplog        `json:"oplog"`
	Totals      Totals       `json:"totals"`
	// IncludeSystem records that local/config/admin system collections were
	// asked for.
	IncludeSystem bool `json:"include_system,omitempty"`
	// Probes are the datasets' canned answers over the backed-up data
	// (optional: older manifests and backups of no dataset have none).
	Probes []DatasetProbes `json:"probes,omitempty"`
}

// Source is the member the backup read from.
type Source struct {
	Host          string `json:"host"`
	State         string `json:"state"` // PRIMARY, SECONDARY
	Hidden        bool   `json:"hidden,omitempty"`
	Site          string `json:"site,omitempty"`
	ServerVersion string `json:"server_version,omitempty"`
}

// Compression of the data objects.
type Compression struct {
	Algorithm string `json:"algorithm"` // zstd or none
	Level     int    `json:"level,omitempty"`
}

// Encryption of every object except the manifest.
type Encryption struct {
	Scheme     string   `json:"scheme"` // "age"
	Recipients []string `json:"recipients"`
}

// Object is one stored file of the backup.
type Object struct {
	Key        string `json:"key"` // relative to the backup's directory
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	Compressed bool   `json:"compressed,omitempty"`
	Encrypted  bool   `json:"encrypted,omitempty"`
}

// Collection is one collection or view.
type Collection struct {
	DB        string  `json:"db"`
	Name      string  `json:"name"`
	Type      string  `json:"type"` // collection, view
	Documents int64   `json:"documents"`
	RawBytes  int64   `json:"raw_bytes"`
	Digest    string  `json:"digest,omitempty"` // of the dumped documents
	Indexes   int     `json:"indexes"`
	Data      *Object `json:"data,omitempty"` // nil for views
	Metadata  Object  `json:"metadata"`
}

// Namespace is "db.name".
func (c Collection) Namespace() string { return c.DB + "." + c.Name }

// Oplog is the oplog slice captured with the snapshot.
type Oplog struct {
	Entries int64     `json:"entries"`
	First   Timestamp `json:"first"`
	Last    Timestamp `json:"last"`
	Object  Object    `json:"object"`
}

// Totals sum the collections.
type Totals struct {
	Collections int   `json:"collections"`
	Documents   int64 `json:"documents"`
	RawBytes    int64 `json:"raw_bytes"`
	StoredBytes int64 `json:"stored_bytes"`
}

// Objects lists every stored object the manifest names.
func (m *Manifest) Objects() []Object {
	var out []Object
	for _, c := range m.Collections {
		if c.Data != nil {
			out = append(out, *c.Data)
		}
		out = append(out, c.Metadata)
	}
	return append(out, m.Oplog.Object)
}

// Encrypted reports whether the backup's objects are encrypted.
func (m *Manifest) Encrypted() bool { return m.Encryption != nil }

// Marshal writes the manifest as indented JSON.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// Parse reads and checks a manifest.
func Parse(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

var (
	idPattern  = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$`)
	shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	rsPattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
)

// ValidID reports whether s is a backup id (20260102T030405Z-1a2b).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidReplicaSet reports whether s can name a replica set in keys.
func ValidReplicaSet(s string) bool { return rsPattern.MatchString(s) && s != "." && s != ".." }

// Validate checks the manifest's consistency; the keys it names must stay
// inside the backup's directory.
func (m *Manifest) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case m.Format < 1:
		return bad("no format version")
	case m.Format > Format:
		return bad("format %d is newer than this citadel understands (%d): upgrade citadel", m.Format, Format)
	case !ValidID(m.ID):
		return bad("id %q", m.ID)
	case !ValidReplicaSet(m.ReplicaSet):
		return bad("replica set %q", m.ReplicaSet)
	case m.End.TS.Before(m.Start.TS):
		return bad("end optime %s before start %s", m.End.TS, m.Start.TS)
	case m.Digest != digest.Algorithm:
		return bad("digest algorithm %q", m.Digest)
	case m.Encryption != nil && m.Encryption.Scheme != "age":
		return bad("encryption scheme %q", m.Encryption.Scheme)
	}
	seen := map[string]bool{}
	for _, c := range m.Collections {
		if err := c.validate(seen); err != nil {
			return bad("collection %s.%s: %v", c.DB, c.Name, err)
		}
	}
	if err := m.Oplog.Object.validate(seen); err != nil {
		return bad("oplog: %v", err)
	}
	if m.Oplog.Entries < 0 {
		return bad("oplog entries %d", m.Oplog.Entries)
	}
	pairs := map[string]bool{}
	for _, p := range m.Probes {
		if pairs[p.Dataset+"\x00"+p.Database] {
			return bad("probes of %s in %s recorded twice", p.Dataset, p.Database)
		}
		pairs[p.Dataset+"\x00"+p.Database] = true
		if err := p.validate(); err != nil {
			return bad("probes of %s in %s: %v", p.Dataset, p.Database, err)
		}
	}
	return nil
}

func (c Collection) validate(seen map[string]bool) error {
	if c.DB == "" || c.Name == "" || strings.ContainsRune(c.DB, 0) || strings.ContainsRune(c.Name, 0) {
		return errors.New("empty or invalid name")
	}
	if c.Documents < 0 || c.RawBytes < 0 {
		return errors.New("negative count")
	}
	switch c.Type {
	case "collection":
		if c.Data == nil {
			return errors.New("no data object")
		}
		if _, err := digest.Parse(c.Digest); err != nil {
			return err
		}
		if err := c.Data.validate(seen); err != nil {
			return err
		}
	case "view":
		if c.Data != nil {
			return errors.New("a view with data")
		}
	default:
		return fmt.Errorf("type %q", c.Type)
	}
	return c.Metadata.validate(seen)
}

func (o Object) validate(seen map[string]bool) error {
	if err := storage.CheckKey(o.Key); err != nil {
		return err
	}
	if o.Key == "manifest.json" || seen[o.Key] {
		return fmt.Errorf("key %q used twice", o.Key)
	}
	seen[o.Key] = true
	if o.Size < 0 || !shaPattern.MatchString(o.SHA256) {
		return fmt.Errorf("object %q: bad size or sha256", o.Key)
	}
	return nil
}
