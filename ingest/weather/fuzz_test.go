package weather

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/ingest"
)

// FuzzConvertInfoclimat: any JSON record gives a reading or a located error.
func FuzzConvertInfoclimat(f *testing.F) {
	f.Add(`{"id_station": "07015", "dh_utc": "2024-10-26 22:00:00", "temperature": "11.2", "pression": null, "vent_rafales": ""}`)
	f.Add(`{"id_station": "07015", "dh_utc": "27/10/2024", "temperature": "dix"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, raw string) {
		doc, fe := ConvertInfoclimat("07015", []byte(raw))
		if fe == nil && doc.ID == nil {
			t.Fatal("document without id")
		}
		if fe != nil && fe.Reason == "" {
			t.Fatalf("error without reason: %v", fe)
		}
	})
}

// FuzzConvertWU: any day-sheet row gives a reading or a located error.
func FuzzConvertWU(f *testing.F) {
	f.Add("0.0833333333", "52.1\u00a0°F", "92\u00a0%", "NNW", "2.0\u00a0mph", "30.05\u00a0in")
	f.Add("x", "--", "", "Variable", "1 km/h", "")
	h := ingest.NewHeader(wuHeader)
	paris, _ := time.LoadLocation("Europe/Paris")
	day := time.Date(2024, 10, 27, 0, 0, 0, 0, paris)
	f.Fuzz(func(t *testing.T, tm, temp, hum, wind, speed, press string) {
		cells := []string{tm, temp, temp, hum, wind, speed, speed, press, "", "", "0", ""}
		doc, when, fe := ConvertWU(KnownWUStations()["ILAMAD25"], day, time.Time{}, h, cells)
		if fe == nil && (doc.ID == nil || when.IsZero()) {
			t.Fatal("reading without id or time")
		}
		if fe != nil && (fe.Reason == "" || fe.Field == "") {
			t.Fatalf("unlocated: %+v", fe)
		}
	})
}

// FuzzInfoclimatDocument streams whole documents: any input ends in a
// report or a located error, never a panic or a hang.
func FuzzInfoclimatDocument(f *testing.F) {
	f.Add(`{"stations":[{"id":"07015","latitude":50.5,"longitude":3.1}],"hourly":{"07015":[{"id_station":"07015","dh_utc":"2024-10-26 22:00:00","temperature":"11.2"}],"_params":["temperature"]}}`)
	f.Add(`{"hourly":{"_params":[],"x":[{}]}}`)
	f.Add(`{"hourly":{"07015":[{"id_station":"07015"`)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc string) {
		p := filepath.Join(dir, "fuzz.json")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Skip(err)
		}
		rep, err := ingest.Run(context.Background(), nil, &Loader{Infoclimat: []string{p}}, ingest.Options{DryRun: true, MaxErrorRate: 1})
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not name the file: %v", err)
		}
		if rep.Docs+rep.Rejected > rep.Read {
			t.Fatalf("more outcomes than records: %+v", rep)
		}
	})
}
