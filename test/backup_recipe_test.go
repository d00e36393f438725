package test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/backup/backuptest"
	"github.com/noscites/citadel/backup/storage/fs"
	"github.com/noscites/citadel/test/testbed"
)

// TestRestoreWithoutCitadelRecipe follows docs/restore-without-citadel.md:
// it decodes an encrypted backup written by citadel using only the
// standard formats — plain JSON for the manifest, sha256 of the files, age
// decryption (the reference implementation, or the age command when
// installed), zstd (the zstd command when installed), length-prefixed BSON
// documents and canonical Extended JSON metadata — and checks it holds the
// source's documents.
func TestRestoreWithoutCitadelRecipe(t *testing.T) {
	ctx := context.Background()
	src := testbed.Connect(t, testbed.StartFerretDBT(t).URI())
	var docs []any
	for i := range 1000 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "city", Value: []string{"Paris", "Lyon"}[i%2]}, {Key: "n", Value: i * i}})
	}
	if _, err := src.Database("opendata").Collection("listings").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Database("opendata").Collection("listings").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "city", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	st, _ := fs.New(dir)
	m := backuptest.Dump(t, src, st, backuptest.Options{Recipients: []age.Recipient{id.Recipient()}})
	identityFile := filepath.Join(t.TempDir(), "identity.txt")
	os.WriteFile(identityFile, []byte(id.String()+"\n"), 0o600)

	// From here on: no citadel code, only the standard formats.
	backupDir := filepath.Join(dir, "main", m.ID)
	raw, err := os.ReadFile(filepath.Join(backupDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plain struct {
		Collections []struct {
			DB, Name  string
			Documents int64
			Data      *struct{ Key, SHA256 string }
			Metadata  struct{ Key, SHA256 string }
		}
	}
	if err := json.Unmarshal(raw, &plain); err != nil {
		t.Fatal(err)
	}
	if len(plain.Collections) != 1 || plain.Collections[0].Data == nil {
		t.Fatalf("manifest: %s", raw)
	}
	c := plain.Collections[0]
	for _, o := range []struct{ Key, SHA256 string }{*c.Data, c.Metadata} {
		b, err := os.ReadFile(filepath.Join(backupDir, filepath.FromSlash(o.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != o.SHA256 {
			t.Fatalf("sha256sum -c fails for %s", o.Key)
		}
	}
	if !strings.HasSuffix(c.Data.Key, ".bson.zst.age") || !strings.HasSuffix(c.Metadata.Key, ".metadata.json.age") {
		t.Fatalf("names do not follow the recipe: %s, %s", c.Data.Key, c.Metadata.Key)
	}
	bsonBytes := unzstd(t, decrypt(t, filepath.Join(backupDir, c.Data.Key), identityFile, id))
	metaJSON := decrypt(t, filepath.Join(backupDir, c.Metadata.Key), identityFile, id)

	n := 0
	for rest := bsonBytes; len(rest) > 0; n++ {
		size := int(binary.LittleEndian.Uint32(rest))
		var doc bson.M
		if err := bson.Unmarshal(rest[:size], &doc); err != nil {
			t.Fatalf("document %d: %v", n, err)
		}
		rest = rest[size:]
	}
	if int64(n) != c.Documents || n != 1000 {
		t.Fatalf("decoded %d documents, manifest says %d", n, c.Documents)
	}
	var meta struct {
		Indexes        []bson.M `bson:"indexes"`
		CollectionName string   `bson:"collectionName"`
	}
	if err := bson.UnmarshalExtJSON(metaJSON, true, &meta); err != nil {
		t.Fatalf("metadata is not canonical Extended JSON: %v\n%s", err, metaJSON)
	}
	if meta.CollectionName != "listings" || len(meta.Indexes) != 2 {
		t.Fatalf("metadata %+v", meta)
	}
}

// decrypt runs `age --decrypt -i FILE` when age is installed, else the
// reference Go implementation of the same format.
func decrypt(t *testing.T, file, identityFile string, id *age.X25519Identity) []byte {
	if bin, err := exec.LookPath("age"); err == nil {
		out, err := exec.Command(bin, "--decrypt", "-i", identityFile, file).Output()
		if err != nil {
			t.Fatalf("age --decrypt %s: %v", file, err)
		}
		return out
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unzstd runs `zstd -d` when installed, else a conforming Go decoder.
func unzstd(t *testing.T, b []byte) []byte {
	if bin, err := exec.LookPath("zstd"); err == nil {
		cmd := exec.Command(bin, "-d", "-q", "-c")
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("zstd -d: %v", err)
		}
		return out
	}
	d, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
