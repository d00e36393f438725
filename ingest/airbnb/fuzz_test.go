package airbnb

import (
	"strings"
	"testing"

	"github.com/noscites/citadel/ingest"
)

// FuzzConvert feeds arbitrary values into the typed fields of a listing:
// conversion must either give a document or a located field error.
func FuzzConvert(f *testing.F) {
	f.Add("1035640283313989768", "$1,234.00", "100%", "t", `["Wifi", "TV"]`, "['email']", "48.86", "2024-06-11", "1 private bath")
	f.Add("abc", "", "N/A", "", "[", "[]", "x", "2024/06/11", "Half-bath")
	h := ingest.NewHeader([]string{"id", "price", "host_response_rate", "host_is_superhost", "amenities",
		"host_verifications", "latitude", "longitude", "last_scraped", "bathrooms_text"})
	f.Fuzz(func(t *testing.T, id, price, rate, sup, amen, verif, lat, scraped, baths string) {
		doc, fe := Convert("paris", h, []string{id, price, rate, sup, amen, verif, lat, "2.35", scraped, baths})
		if fe == nil && !strings.HasPrefix(doc.ID.(string), "paris/") {
			t.Fatalf("id %v", doc.ID)
		}
		if fe != nil && (fe.Reason == "" || fe.Field == "") {
			t.Fatalf("unlocated error %+v", fe)
		}
	})
}
