package airbnb

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

const day = "2006-01-02"

// Convert turns one listings record into a document, or says which field
// is wrong. The _id is "city/id"; id stays an int64 (ids have up to 19
// digits, beyond float64's exact range).
func Convert(city string, h *ingest.Header, fields []string) (ingest.Doc, *ingest.FieldError) {
	r := &ingest.Row{H: h, Fields: fields}
	idText := r.Str("id")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return ingest.Doc{}, &ingest.FieldError{Field: "id", Value: idText, Reason: "bad id", Why: "is not a 64-bit integer"}
	}
	body := bson.D{
		{Key: "city", Value: city}, {Key: "id", Value: id},
		{Key: "listing_url", Value: r.Opt("listing_url")}, {Key: "scrape_id", Value: r.Int64("scrape_id")},
		{Key: "last_scraped", Value: r.Date("last_scraped", day)}, {Key: "source", Value: r.Opt("source")},
		{Key: "name", Value: r.Opt("name")}, {Key: "description", Value: r.Opt("description")},
	}
	body = append(body, host(r)...)
	body = append(body, place(r)...)
	body = append(body, stay(r)...)
	body = append(body, reviews(r)...)
	if r.Err != nil {
		return ingest.Doc{}, r.Err
	}
	return ingest.Doc{ID: city + "/" + idText, Body: body}, nil
}

func host(r *ingest.Row) bson.D {
	return bson.D{
		{Key: "host_id", Value: r.Int64("host_id")}, {Key: "host_name", Value: r.Opt("host_name")},
		{Key: "host_since", Value: r.Date("host_since", day)}, {Key: "host_about", Value: r.Opt("host_about")},
		{Key: "host_response_rate", Value: percent(r, "host_response_rate")},
		{Key: "host_acceptance_rate", Value: percent(r, "host_acceptance_rate")},
		{Key: "host_is_superhost", Value: r.Bool("host_is_superhost")},
		{Key: "host_listings_count", Value: r.Int("host_listings_count")},
		{Key: "host_total_listings_count", Value: r.Int("host_total_listings_count")},
		{Key: "host_verifications", Value: pyList(r, "host_verifications")},
		{Key: "host_identity_verified", Value: r.Bool("host_identity_verified")},
		{Key: "calculated_host_listings_count", Value: r.Int("calculated_host_listings_count")},
	}
}

func place(r *ingest.Row) bson.D {
	lat, lon := r.Float("latitude"), r.Float("longitude")
	la, okLat := lat.(float64)
	lo, okLon := lon.(float64)
	if r.Err == nil && (!okLat || !okLon || la < -90 || la > 90 || lo < -180 || lo > 180) {
		r.Fail("latitude/longitude", r.Str("latitude")+","+r.Str("longitude"), "bad coordinates", "is not a point on Earth")
	}
	return bson.D{
		{Key: "neighbourhood_cleansed", Value: r.Opt("neighbourhood_cleansed")},
		{Key: "latitude", Value: lat}, {Key: "longitude", Value: lon},
		{Key: "location", Value: bson.D{{Key: "type", Value: "Point"}, {Key: "coordinates", Value: bson.A{lo, la}}}},
		{Key: "property_type", Value: r.Opt("property_type")}, {Key: "room_type", Value: r.Opt("room_type")},
		{Key: "accommodates", Value: r.Int("accommodates")},
		{Key: "bathrooms", Value: bathrooms(r)}, {Key: "bathrooms_text", Value: r.Opt("bathrooms_text")},
		{Key: "bedrooms", Value: r.Float("bedrooms")}, {Key: "beds", Value: r.Float("beds")},
		{Key: "amenities", Value: amenities(r)},
	}
}

func stay(r *ingest.Row) bson.D {
	d := bson.D{
		{Key: "price", Value: price(r)},
		{Key: "minimum_nights", Value: r.Int("minimum_nights")}, {Key: "maximum_nights", Value: r.Int("maximum_nights")},
		{Key: "has_availability", Value: r.Bool("has_availability")},
		{Key: "availability_30", Value: r.Int("availability_30")}, {Key: "availability_60", Value: r.Int("availability_60")},
		{Key: "availability_90", Value: r.Int("availability_90")}, {Key: "availability_365", Value: r.Int("availability_365")},
		{Key: "instant_bookable", Value: r.Bool("instant_bookable")}, {Key: "license", Value: r.Opt("license")},
	}
	// 2025 schema only: present when the file has the column.
	for _, c := range []string{"availability_eoy", "estimated_occupancy_l365d"} {
		if r.H.Index(c) >= 0 {
			d = append(d, bson.E{Key: c, Value: r.Int(c)})
		}
	}
	if r.H.Index("estimated_revenue_l365d") >= 0 {
		d = append(d, bson.E{Key: "estimated_revenue_l365d", Value: r.Float("estimated_revenue_l365d")})
	}
	return d
}

func reviews(r *ingest.Row) bson.D {
	d := bson.D{
		{Key: "number_of_reviews", Value: r.Int("number_of_reviews")},
		{Key: "number_of_reviews_ltm", Value: r.Int("number_of_reviews_ltm")},
	}
	if r.H.Index("number_of_reviews_ly") >= 0 {
		d = append(d, bson.E{Key: "number_of_reviews_ly", Value: r.Int("number_of_reviews_ly")})
	}
	return append(d,
		bson.E{Key: "first_review", Value: r.Date("first_review", day)},
		bson.E{Key: "last_review", Value: r.Date("last_review", day)},
		bson.E{Key: "review_scores_rating", Value: r.Float("review_scores_rating")},
		bson.E{Key: "reviews_per_month", Value: r.Float("reviews_per_month")})
}

// price reads "$1,234.00"; empty means unknown (nil).
func price(r *ingest.Row) any {
	s := r.Str("price")
	if s == "" {
		return nil
	}
	f, ok := ingest.ParseMoney(s)
	if !ok || f < 0 {
		r.Fail("price", s, "bad price", "is not an amount like $1,234.00")
		return nil
	}
	return f
}

// percent reads "100%" as 1.0; "N/A" and empty are unknown (nil).
func percent(r *ingest.Row, name string) any {
	s := r.Str(name)
	if s == "" || s == "N/A" {
		return nil
	}
	f, ok := ingest.ParseDecimal(strings.TrimSuffix(s, "%"))
	if !ok || !strings.HasSuffix(s, "%") || f < 0 || f > 100 {
		r.Fail(name, s, "bad percentage", "is not a percentage like 100% or N/A")
		return nil
	}
	return f / 100
}

// pyList reads a Python-style list of strings: ['email', 'phone'].
func pyList(r *ingest.Row, name string) any {
	s := r.Str(name)
	if s == "" || s == "None" {
		return nil
	}
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		r.Fail(name, s, "bad list", "is not a list like ['email', 'phone']")
		return nil
	}
	out := bson.A{}
	for _, item := range strings.Split(s[1:len(s)-1], ",") {
		item = strings.Trim(strings.TrimSpace(item), `'"`)
		if item != "" {
			out = append(out, item)
		}
	}
	return out
}

// amenities reads the JSON array held in a quoted CSV field.
func amenities(r *ingest.Row) any {
	s := r.Str("amenities")
	if s == "" {
		return nil
	}
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		r.Fail("amenities", s, "bad amenities", "is not a JSON array of strings")
		return nil
	}
	out := make(bson.A, len(list))
	for i, a := range list {
		out[i] = a
	}
	return out
}

var bathNumber = regexp.MustCompile(`^(\d+(?:\.\d+)?)`)

// bathrooms is the bathrooms column, or the number in bathrooms_text when
// the column is empty ("1 private bath" is 1, "Half-bath" is 0.5).
func bathrooms(r *ingest.Row) any {
	if v := r.Float("bathrooms"); v != nil {
		return v
	}
	text := strings.ToLower(r.Str("bathrooms_text"))
	if m := bathNumber.FindStringSubmatch(text); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		return f
	}
	if strings.Contains(text, "half-bath") {
		return 0.5
	}
	return nil
}
