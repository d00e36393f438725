package dvf

import (
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest"
)

// FuzzParseLine feeds arbitrary '|'-separated lines to the line parser:
// it must give a keyed line or a located field error, never panic.
func FuzzParseLine(f *testing.F) {
	f.Add("|||||||000001|03/01/2022|Vente|55000,00|13||RUE|2280|DE LA LIBERTE|1000|BOURG-EN-BRESSE|01|53||AI|102||12|31,68|||||||||2|2|Appartement||32|2|||")
	f.Add("|||||||x|31/02/2022|Vente|1,00,0|||||||2B|999999||||||||||||||||||||||||")
	h := ingest.NewHeader(Header2022())
	regions := Regions()
	f.Fuzz(func(t *testing.T, line string) {
		fields := strings.Split(line, "|")
		if len(fields) != len(h.Names) {
			return
		}
		ln, fe := ParseLine(h, fields, regions)
		if fe == nil && (len(ln.Key) != 24 || len(ln.INSEE) != 5 || ln.Region == "") {
			t.Fatalf("line without key, INSEE code or region: %+v", ln)
		}
		if fe != nil && fe.Reason == "" {
			t.Fatalf("error without reason: %v", fe)
		}
	})
}
