package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/backup/storage"
	"github.com/noscites/citadel/backup/storage/fs"
)

func newStorage(t *testing.T) storage.Storage {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func docs(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		b, _ := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "name", Value: strings.Repeat("x", i%50)}})
		buf.Write(b)
	}
	return buf.Bytes()
}

func TestRoundTripCodecs(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	plain := docs(5000)
	for _, c := range []Codec{
		{}, {Compression: None}, {Level: 1}, {Level: 4},
		{Recipients: []age.Recipient{id.Recipient()}},
		{Compression: None, Recipients: []age.Recipient{id.Recipient()}},
	} {
		st := newStorage(t)
		stats, err := Upload(context.Background(), st, "o"+c.Suffix(true), c, true, storage.PutOptions{}, func(w io.Writer) error {
			_, err := w.Write(plain)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if stats.RawBytes != int64(len(plain)) {
			t.Fatalf("raw %d want %d", stats.RawBytes, len(plain))
		}
		info, _ := st.Stat(context.Background(), "o"+c.Suffix(true))
		if info.Size != stats.StoredBytes {
			t.Fatalf("stored %d, stat %d", stats.StoredBytes, info.Size)
		}
		enc := Encoding{Compressed: c.Compressed(), Encrypted: c.Encrypted()}
		r, err := Open(context.Background(), st, "o"+c.Suffix(true), enc, []age.Identity{id}, Expect{Size: stats.StoredBytes, SHA256: stats.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		dr := NewDocReader(r)
		n := 0
		for {
			_, err := dr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		r.Close()
		if n != 5000 {
			t.Fatalf("codec %+v: read %d docs", c, n)
		}
	}
}

func TestFailedFillLeavesNothing(t *testing.T) {
	st := newStorage(t)
	boom := errors.New("cursor died")
	_, err := Upload(context.Background(), st, "db/c.bson.zst", Codec{}, true, storage.PutOptions{}, func(w io.Writer) error {
		w.Write(docs(100))
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "db/c.bson.zst") {
		t.Fatalf("err = %v", err)
	}
	if infos, _ := storage.Collect(context.Background(), st, ""); len(infos) != 0 {
		t.Fatalf("left %v", infos)
	}
}

func TestMismatchDetected(t *testing.T) {
	st := newStorage(t)
	stats, err := Upload(context.Background(), st, "k", Codec{}, true, storage.PutOptions{}, func(w io.Writer) error {
		_, err := w.Write(docs(100))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(context.Background(), st, "k", Expect{Size: stats.StoredBytes, SHA256: stats.SHA256}); err != nil {
		t.Fatal(err)
	}
	root := strings.TrimPrefix(st.String(), "file://")
	b, _ := os.ReadFile(filepath.Join(root, "k"))
	b[len(b)/2] ^= 0x01
	os.WriteFile(filepath.Join(root, "k"), b, 0o600)
	err = Check(context.Background(), st, "k", Expect{Size: stats.StoredBytes, SHA256: stats.SHA256})
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "/k") {
		t.Fatalf("flipped byte: %v", err)
	}
}

func TestEncryptedNeedsIdentity(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	st := newStorage(t)
	c := Codec{Recipients: []age.Recipient{id.Recipient()}}
	if _, err := Upload(context.Background(), st, "k", c, true, storage.PutOptions{}, func(w io.Writer) error {
		_, err := w.Write(docs(10))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	enc := Encoding{Compressed: true, Encrypted: true}
	if _, err := Open(context.Background(), st, "k", enc, nil, Expect{}); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("no identity: %v", err)
	}
	if _, err := Open(context.Background(), st, "k", enc, []age.Identity{other}, Expect{}); err == nil {
		t.Fatal("the wrong identity decrypted")
	}
}

func TestLoadKeys(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	rf := filepath.Join(dir, "recipients.txt")
	idf := filepath.Join(dir, "identity.txt")
	os.WriteFile(rf, []byte("# backup key\n"+id.Recipient().String()+"\n"), 0o600)
	os.WriteFile(idf, []byte(id.String()+"\n"), 0o600)
	rs, text, err := LoadRecipients(rf)
	if err != nil || len(rs) != 1 || text[0] != id.Recipient().String() {
		t.Fatalf("recipients %v %v %v", rs, text, err)
	}
	if ids, err := LoadIdentities(idf); err != nil || len(ids) != 1 {
		t.Fatalf("identities %v", err)
	}
	if _, _, err := LoadRecipients(idf); err == nil || !strings.Contains(err.Error(), idf) {
		t.Fatalf("a secret key accepted as recipient, or the file is not named: %v", err)
	}
}

func TestDocReaderCorrupt(t *testing.T) {
	good := docs(3)
	for name, b := range map[string][]byte{
		"truncated length": good[:len(good)-len(good)/3*1][:2],
		"truncated doc":    good[:len(good)-3],
		"bad length":       {1, 0, 0, 0},
		"huge length":      {0xff, 0xff, 0xff, 0x7f},
	} {
		dr := NewDocReader(bytes.NewReader(b))
		var err error
		for err == nil {
			_, err = dr.Next()
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDocReader(f *testing.F) {
	f.Add(docs(3))
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Add([]byte{12, 0, 0, 0, 0x10, 'a', 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		dr := NewDocReader(bytes.NewReader(b))
		total := 0
		for {
			doc, err := dr.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			if doc.Validate() != nil {
				t.Fatal("returned an invalid document")
			}
			total += len(doc)
			if total > len(b) {
				t.Fatal("read more than the input")
			}
		}
	})
}
