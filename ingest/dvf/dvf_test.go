package dvf

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
)

const (
	file2022 = "testdata/valeursfoncieres-2022.txt"
	file2019 = "testdata/valeursfoncieres-2019-latin1.txt"
)

func TestLoadFixtures(t *testing.T) {
	db := ingesttest.DB(t)
	ctx := context.Background()
	rep, err := ingest.Run(ctx, db, New(file2022, file2019), ingest.Options{MaxErrorRate: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 31 || rep.Inserted != 21 || rep.Rejected != 5 {
		t.Fatalf("first load: %+v", rep)
	}
	got := ingesttest.Reasons(rep)
	want := map[string]int64{"bad date": 1, "bad number": 2, "bad department": 1, "wrong number of fields": 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reasons %v, want %v (%v)", got, want, rep.Samples)
	}
	rep, err = ingest.Run(ctx, db, New(file2022, file2019), ingest.Options{MaxErrorRate: 0.5})
	if err != nil || rep.Unchanged != 21 || rep.Inserted != 0 || rep.Updated != 0 {
		t.Fatalf("reload: %v %+v", err, rep)
	}
	checkTraps(t, db)
	t.Run("probes", func(t *testing.T) { checkProbes(t, db) })
}

func find(t *testing.T, db *mongo.Database, f bson.D) bson.M {
	t.Helper()
	return ingesttest.Find(t, db.Collection(Collection), f)
}

func checkTraps(t *testing.T, db *mongo.Database) {
	m1 := find(t, db, bson.D{{Key: "code_insee", Value: "01053"}})
	if m1["code_postal"] != "01000" || m1["valeur_fonciere"] != 55000.0 || m1["nb_lignes"] != int32(2) ||
		m1["type_principal"] != Appartement || m1["surface_bati"] != 32.0 || m1["prix_m2"] != 1718.75 || m1["nb_dependances"] != int32(1) {
		t.Errorf("several lines, one sale (value not summed), leading zeros: %v", m1)
	}
	lots := m1["lignes"].(bson.A)[0].(bson.D)
	if l := lots[10].Value.(bson.A)[0].(bson.D); l[2].Value != 31.68 {
		t.Errorf("Carrez decimal comma: %v", l)
	}
	m2 := find(t, db, bson.D{{Key: "valeur_fonciere", Value: 420000.0}})
	if m2["surface_bati"] != 41.0 || m2["nb_appartements"] != int32(1) || m2["trimestre"] != "2022-T1" {
		t.Errorf("one local on two parcels counts once: %v", m2)
	}
	token := find(t, db, bson.D{{Key: "valeur_fonciere", Value: 1.0}})
	if token["prix_m2"] != nil || token["type_principal"] != Appartement {
		t.Errorf("token price kept out of price per m²: %v", token)
	}
	for insee, dept := range map[string]string{"2A004": "2A", "2B033": "2B", "97101": "971", "92002": "92", "01314": "01"} {
		d := find(t, db, bson.D{{Key: "code_insee", Value: insee}})
		if d["code_departement"] != dept || d["region"] == "" {
			t.Errorf("%s: %v", insee, d)
		}
	}
	se := find(t, db, bson.D{{Key: "code_insee", Value: "42218"}})
	if se["commune"] != "SAINT-ÉTIENNE" || se["no_disposition"] != int32(1) {
		t.Errorf("Latin-1 edition decoded: %v", se)
	}
	n, _ := db.Collection(Collection).CountDocuments(context.Background(), bson.D{{Key: "valeur_fonciere", Value: 120000.0}})
	if n != 2 {
		t.Errorf("two dispositions are two mutations, got %d", n)
	}
}

func checkProbes(t *testing.T, db *mongo.Database) {
	cases := []ingesttest.ProbeCase{
		{Name: "apartments", Want: `[["","",11,12]]`},
		{Name: "apartments", Args: ingest.ProbeArgs{"from": "2022-01-01", "to": "2022-03-31"}, Want: `[["2022-01-01","2022-03-31",4,4]]`},
		{Name: "sales-per-region", Want: `[["Île-de-France",8],["Auvergne-Rhône-Alpes",6],["Hauts-de-France",3],["Corse",2],["Guadeloupe",1]]`},
		{Name: "apartment-rooms", Want: `[[1,1,0.1],[2,5,0.5],[3,3,0.3],[4,1,0.1]]`},
		{Name: "top-departments-m2", Want: `[["75",3,10322.04],["78",1,6071.43],["69",1,5000],["92",1,3416.67],["2A",1,3380.28],["77",1,3000],["2B",1,2909.09],["59",2,2696.97],["91",1,2000],["971",1,2000]]`},
		{Name: "idf-house-m2", Want: `[[4,3622.03]]`},
		{Name: "quarterly-growth", Want: `[["2019-T1",3,null],["2022-T1",4,null],["2022-T2",10,1.5],["2022-T3",3,-0.7]]`},
		{Name: "busy-communes", Want: `null`},
		{Name: "busy-communes", Args: ingest.ProbeArgs{"min": "2"}, Want: `[["2022-T2","59350","LILLE",3],["2022-T3","69383","LYON 3EME",2]]`},
	}
	ingesttest.CheckProbes(t, db, Probes(), cases)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(file2022)
	cases := map[string]struct {
		content string
		want    string
	}{
		"comma.txt":   {strings.ReplaceAll(string(good), "|", ","), "separator"},
		"renamed.txt": {strings.Replace(string(good), "Valeur fonciere", "Valeur", 1), `"Valeur fonciere"`},
		"empty.txt":   {"", "empty file"},
	}
	for name, tc := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.content), 0o600)
		_, err := ingest.Run(context.Background(), nil, New(p), ingest.Options{DryRun: true, MaxErrorRate: 1})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
