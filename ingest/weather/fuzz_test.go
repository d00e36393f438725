package weather

import (
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
	h := ingest.NewHeader(WUColumns)
	paris, _ := time.LoadLocation("Europe/Paris")
	day := time.Date(2024, 10, 27, 0, 0, 0, 0, paris)
	f.Fuzz(func(t *testing.T, tm, temp, hum, wind, speed, press string) {
		cells := []string{tm, temp, temp, hum, wind, speed, speed, press, "", "", "0", ""}
		doc, when, fe := ConvertWU("ILAMAD25", day, time.Time{}, h, cells)
		if fe == nil && (doc.ID == nil || when.IsZero()) {
			t.Fatal("reading without id or time")
		}
		if fe != nil && (fe.Reason == "" || fe.Field == "") {
			t.Fatalf("unlocated: %+v", fe)
		}
	})
}
