package supermarket

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/ingesttest"
)

var testKey = []byte("test pseudonymisation key, 32 b.")

func TestLoadFixtures(t *testing.T) {
	db := ingesttest.DB(t)
	ctx := context.Background()
	sales, logs, err := FixtureWorkbooks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(sales, logs, testKey, false)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{Products: {6, 2}, Employees: {3, 1}, Customers: {3, 2}, Calendar: {3, 0}, Sales: {11, 4}, Logs: {16, 2}}
	for c, w := range want {
		if got := rep.Collections[c]; got == nil || got.Inserted != w[0] || got.Rejected != w[1] {
			t.Errorf("%s: %+v, want inserted %d rejected %d", c, got, w[0], w[1])
		}
	}
	reasons := ingesttest.Reasons(rep)
	wantReasons := map[string]int64{"bad price": 2, "bad EAN": 1, "bad employee id": 1, "bad date": 3, "bad customer id": 1,
		"unknown product": 2, "bad ticket": 1}
	if !reflect.DeepEqual(reasons, wantReasons) || rep.Read != 53 {
		t.Errorf("reasons %v (read %d), want %v\n%s", reasons, rep.Read, wantReasons, strings.Join(rep.Samples, "\n"))
	}
	rep, err = ingest.Run(ctx, db, l, ingest.Options{MaxErrorRate: 0.5})
	if err != nil || rep.Unchanged != 42 || rep.Inserted != 0 || rep.Updated != 0 {
		t.Fatalf("reload: %v %+v", err, rep)
	}
	checkTraps(t, db)
	t.Run("probes", func(t *testing.T) { checkProbes(t, db) })
}

func checkTraps(t *testing.T, db *mongo.Database) {
	ctx := context.Background()
	get := func(coll string, id any) bson.M { return ingesttest.FindID(t, db.Collection(coll), id) }
	if p := get(Products, "0012345678905"); p["prix"] != 4.5 {
		t.Errorf("EAN zeros restored, decimal comma: %v", p)
	}
	emp := get(Employees, EmpMartin)
	raw, _ := json.Marshal(emp)
	for _, secret := range []string{"hash", "$2b$", "Martin", "Dupont", "supersmartmarket.fr"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("employee document leaks %q: %s", secret, raw)
		}
	}
	if emp["nom"] != Pseudonym(testKey, "Dupont") || emp["pseudonymised"] != true {
		t.Errorf("pseudonyms: %v", emp)
	}
	var rej []bson.M
	cur, _ := db.Collection(Employees+"_rejects").Find(ctx, bson.D{})
	_ = cur.All(ctx, &rej)
	if len(rej) != 1 || strings.Contains(rej[0]["raw"].(string), "secret") || strings.Contains(rej[0]["raw"].(string), "Durand") {
		t.Errorf("employee rejects must not keep personal data: %v", rej)
	}
	if s := get(Sales, "1004"); s["day"] != "2024-08-14" || s["prix"] != 3.49 || s["ean"] != "3017620422003" {
		t.Errorf("serial date, denormalised price: %v", s)
	}
	if c := get(Customers, "CUST-QWERTY123456"); c["date_inscription"] == nil {
		t.Errorf("text date dd/MM/yyyy: %v", c)
	}
	var repaired bson.M
	if err := db.Collection(Logs).FindOne(ctx, bson.D{{Key: "detail", Value: "03/49"}}).Decode(&repaired); err != nil ||
		repaired["prix"] != 3.49 || repaired["prix_repaired"] != true {
		t.Errorf("price Excel turned into a date: %v %v", repaired, err)
	}
	n, _ := db.Collection(Logs).CountDocuments(ctx, bson.D{{Key: "user_is_employee", Value: false}})
	if n != 2 {
		t.Errorf("%d log rows by non-employees, want 2", n)
	}
}

func checkProbes(t *testing.T, db *mongo.Database) {
	cases := []ingesttest.ProbeCase{
		{Name: "day-revenue", Want: `[["2024-08-14",6,16.05,3,9.88]]`},
		{Name: "day-revenue", Args: ingest.ProbeArgs{"day": "2024-08-13"}, Want: `[["2024-08-13",3,6.62,0,6.62]]`},
		{Name: "top-customers", Want: `[["CUST-0A1B2C3D4E5F",15.45],["CUST-QWERTY123456",6.17],["CUST-9Z8Y7X6W5V4U",3.99]]`},
		{Name: "revenue-per-employee", Want: `[["` + EmpSophie + `",10.93],["` + EmpMartin + `",8.06],["` + EmpKarim + `",6.62]]`},
		{Name: "log-actions", Want: `[["Calendrier","INSERT",1],["Clients","DELETE",1],["Produits","UPDATE",3],["Vente Détail","INSERT",11]]`},
		{Name: "late-inserts", Want: `[["1007","2024-08-14","2024-08-15",0.6],["1008","2024-08-14","2024-08-15",3.49],["1009","2024-08-14","2024-08-15",2.08]]`},
	}
	ingesttest.CheckProbes(t, db, Probes(), cases)
}

func TestBadWorkbooks(t *testing.T) {
	dir := t.TempDir()
	if _, err := New("x.xlsx", "", nil, false); !errors.Is(err, ErrNoPseudonymKey) {
		t.Fatalf("no key: %v", err)
	}
	partial := filepath.Join(dir, "partial.xlsx")
	if err := WriteWorkbook(partial, []string{"Vente Détail", "Feuil2"}, map[string][][]any{"Vente Détail": {{"ID_BDD"}}}); err != nil {
		t.Fatal(err)
	}
	l, _ := New(partial, "", testKey, false)
	_, err := ingest.Run(context.Background(), nil, l, ingest.Options{DryRun: true, MaxErrorRate: 1})
	if !errors.Is(err, ErrMissingSheet) || !strings.Contains(err.Error(), `"Produits"`) || !strings.Contains(err.Error(), partial) {
		t.Fatalf("missing sheets: %v", err)
	}
}
