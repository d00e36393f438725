package supermarket

import (
	"testing"

	"github.com/noscites/citadel/ingest"
)

// FuzzConvertLog: any log row gives a document or a located error, and a
// repaired price is always flagged with its raw text kept.
func FuzzConvertLog(f *testing.F) {
	f.Add("a3f1c2d4e5b60718293a4b5c6d7e8f90", "45518.39", "prix", "02/08")
	f.Add("admin", "hier", "prix", "soixante")
	f.Add("", "1e308", "EAN", "12345678905")
	h := ingest.NewHeader(sheetColumns[SheetLogs])
	f.Fuzz(func(t *testing.T, user, date, champs, detail string) {
		r := &ingest.Row{H: h, Fields: []string{user, date, "UPDATE", SheetProducts, "1", champs, detail}}
		body := ConvertLog(r, map[string]bool{})
		if r.Err != nil && r.Err.Reason == "" {
			t.Fatalf("error without reason: %v", r.Err)
		}
		m := map[string]any{}
		for _, e := range body {
			m[e.Key] = e.Value
		}
		if m["prix_repaired"] == true && m["detail"] == nil {
			t.Fatalf("repaired without the raw text: %v", body)
		}
		ean := EAN(&ingest.Row{H: ingest.NewHeader([]string{"EAN"}), Fields: []string{detail}}, "EAN")
		if ean != "" && len(ean) != 13 {
			t.Fatalf("EAN %q", ean)
		}
	})
}
