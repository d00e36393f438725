package edstats

import (
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest"
)

// FuzzConvertData feeds arbitrary cells into a data row: a document, a
// skip or a located error, never a panic; values only for listed years.
func FuzzConvertData(f *testing.F) {
	f.Add("FRA", "SE.PRM.ENRR", "117.08306", "", "1,5")
	f.Add("XKX", "", "n/a", "0", "")
	h := ingest.NewHeader([]string{"Country Name", "Country Code", "Indicator Name", "Indicator Code", "1970", "2017", "2100", ""})
	years := yearColumns(h)
	aggregates := map[string]bool{"FRA": false, "ARB": true}
	f.Fuzz(func(t *testing.T, country, indicator, v1, v2, v3 string) {
		doc, skip, fe := convertData(h, []string{"x", country, "y", indicator, v1, v2, v3, ""}, years, aggregates)
		switch {
		case fe != nil:
			if fe.Reason == "" || fe.Field == "" {
				t.Fatalf("unlocated: %+v", fe)
			}
		case skip:
			if strings.TrimSpace(v1+v2+v3) != "" {
				t.Fatalf("skipped a row with values %q %q %q", v1, v2, v3)
			}
		default:
			if doc.ID != strings.TrimSpace(country)+"/"+strings.TrimSpace(indicator) {
				t.Fatalf("id %v", doc.ID)
			}
		}
	})
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"Country Code": "country_code", "2-alpha code": "2_alpha_code",
		"Source of most recent Income and expenditure data": "source_of_most_recent_income_and_expenditure_data", "DESCRIPTION": "description"} {
		if got := SnakeCase(in); got != want {
			t.Errorf("%q: %q", in, got)
		}
	}
}
