package airbnb

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Header2024 is the 75-column header of the 2023-2024 detailed listings.
func Header2024() []string { return strings.Split(header2024, ",") }

const header2024 = "id,listing_url,scrape_id,last_scraped,source,name,description,neighborhood_overview," +
	"picture_url,host_id,host_url,host_name,host_since,host_location,host_about,host_response_time,host_response_rate," +
	"host_acceptance_rate,host_is_superhost,host_thumbnail_url,host_picture_url,host_neighbourhood,host_listings_count," +
	"host_total_listings_count,host_verifications,host_has_profile_pic,host_identity_verified,neighbourhood," +
	"neighbourhood_cleansed,neighbourhood_group_cleansed,latitude,longitude,property_type,room_type,accommodates,bathrooms," +
	"bathrooms_text,bedrooms,beds,amenities,price,minimum_nights,maximum_nights,minimum_minimum_nights,maximum_minimum_nights," +
	"minimum_maximum_nights,maximum_maximum_nights,minimum_nights_avg_ntm,maximum_nights_avg_ntm,calendar_updated," +
	"has_availability,availability_30,availability_60,availability_90,availability_365,calendar_last_scraped," +
	"number_of_reviews,number_of_reviews_ltm,number_of_reviews_l30d,first_review,last_review,review_scores_rating," +
	"review_scores_accuracy,review_scores_cleanliness,review_scores_checkin,review_scores_communication," +
	"review_scores_location,review_scores_value,license,instant_bookable,calculated_host_listings_count," +
	"calculated_host_listings_count_entire_homes,calculated_host_listings_count_private_rooms," +
	"calculated_host_listings_count_shared_rooms,reviews_per_month"

var (
	genRooms = []string{"Entire home/apt", "Entire home/apt", "Entire home/apt", "Private room", "Hotel room", "Shared room"}
	genHoods = []string{"Buttes-Montmartre", "Popincourt", "Vaugirard", "Batignolles-Monceau", "Entrepôt", "Ménilmontant",
		"Passy", "Buttes-Chaumont", "Opéra", "Temple", "Reuilly", "Observatoire", "Gobelins", "Élysée", "Hôtel-de-Ville"}
)

// Generate writes n listings in the 2023-2024 format (benchmark input, not
// fixtures): quoted multi-line descriptions, JSON amenities, $ prices, t/f,
// 18-digit ids for a third of the rows. Deterministic for a seed.
func Generate(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 42))
	if _, err := bw.WriteString(header2024 + "\n"); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	for i := range n {
		if _, err := bw.WriteString(genRow(rng, i)); err != nil {
			return fmt.Errorf("write row %d: %w", i, err)
		}
	}
	return bw.Flush()
}

func genRow(rng *rand.Rand, i int) string {
	id := fmt.Sprint(1000 + i)
	if i%3 == 0 {
		id = fmt.Sprint(int64(1_000_000_000_000_000_000) + int64(i))
	}
	host := 1000 + rng.IntN(n2(i))
	tf := func(p float64) string {
		if rng.Float64() < p {
			return "t"
		}
		return "f"
	}
	price := fmt.Sprintf("$%d.00", 30+rng.IntN(400))
	if rng.IntN(10) == 0 {
		price = fmt.Sprintf("$1,%03d.00", rng.IntN(1000))
	}
	reviews := rng.IntN(300)
	f := []string{id, "https://www.airbnb.com/rooms/" + id, "20240611034519", "2024-06-11", "city scrape",
		fmt.Sprintf(`"Appartement %d, calme et lumineux"`, i),
		`"Bel appartement au cœur de Paris.` + "\n" + `Proche du métro, idéal pour un séjour ""parisien"".<br />Ménage inclus."`,
		"", "https://a0.muscache.com/pictures/" + id + ".jpg", fmt.Sprint(host), fmt.Sprintf("https://www.airbnb.com/users/show/%d", host),
		"Hôte", "2016-04-12", `"Paris, France"`, `"Bonjour !` + "\n" + `J'aime recevoir."`, "within an hour", "100%", "97%", tf(0.3), "", "", "",
		"3", "4", `"['email', 'phone']"`, "t", "t", `"Paris, Ile-de-France, France"`, genHoods[rng.IntN(len(genHoods))], "",
		fmt.Sprintf("48.%05d", 81000+rng.IntN(9000)), fmt.Sprintf("2.%05d", 25000+rng.IntN(17000)), "Entire rental unit",
		genRooms[rng.IntN(len(genRooms))], fmt.Sprint(1 + rng.IntN(6)), "", "1 bath", "1", "2",
		`"[""Wifi"", ""Kitchen"", ""Heating"", ""Hair dryer"", ""TV"", ""Washer""]"`, `"` + price + `"`,
		"2", "365", "2", "2", "365", "365", "2.0", "365.0", "", "t", fmt.Sprint(rng.IntN(31)), "40", "70", "300", "2024-06-11",
		fmt.Sprint(reviews), "3", "0", "2017-05-01", "2024-05-20", "4.81", "4.9", "4.7", "4.9", "4.9", "4.8", "4.6",
		"7510100000001", tf(0.4), "1", "1", "0", "0", "0.55"}
	return strings.Join(f, ",") + "\n"
}

func n2(i int) int { return i/2 + 1 }
