package weather

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkProbes loads 92 generated days (August to October 2024) into
// FerretDB and times each canned question, as `citadel report weather`
// runs them, against one full scan of the readings measured in the same
// run: Lille-Lesquin hourly (synop), the three static Infoclimat stations
// every 10 minutes, the two Weather Underground stations every 5 minutes
// (one sheet per day), about 95,000 readings. CITADEL_BENCH_PROBE_DAYS
// sets the days. Target: every question under 10 s.
func BenchmarkProbes(b *testing.B) {
	days := 92
	if s := os.Getenv("CITADEL_BENCH_PROBE_DAYS"); s != "" {
		fmt.Sscan(s, &days)
	}
	dir := b.TempDir()
	start := time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 5))
	info := filepath.Join(dir, "infoclimat-hdf.json")
	if err := writeInfoclimat(info, rng, start, days); err != nil {
		b.Fatal(err)
	}
	l := &Loader{Infoclimat: []string{info}}
	for _, id := range []string{"ILAMAD25", "IICHTE19"} {
		p := filepath.Join(dir, "wunderground-"+id+".xlsx")
		if err := WriteWorkbook(p, wuDays(rng, start, days)); err != nil {
			b.Fatal(err)
		}
		w, _ := NewWorkbook(p, id)
		l.Workbooks = append(l.Workbooks, w)
	}
	db := ingesttest.DB(b)
	ingesttest.Load(b, db, l)
	for range b.N {
		ingesttest.TimeProbes(b, db, "weather", Readings, Probes(), nil)
	}
}

// temp is a daily cycle around 16 °C with noise.
func temp(rng *rand.Rand, t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	return 16 + 5*math.Sin((h-9)/24*2*math.Pi) + rng.NormFloat64()
}

// writeInfoclimat writes an export with the fixture's stations and units:
// 07015 hourly with every field, the static stations every 10 minutes with
// fewer fields, numbers as strings, a few missing values, "_params".
func writeInfoclimat(path string, rng *rand.Rand, start time.Time, days int) error {
	var fixture struct {
		Stations json.RawMessage `json:"stations"`
		Metadata json.RawMessage `json:"metadata"`
	}
	raw, err := os.ReadFile(infoFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	end := start.AddDate(0, 0, days)
	fmt.Fprintf(w, `{"status": "OK", "errors": [], "data": {"start": %q, "end": %q}, "stations": %s, "metadata": %s, "hourly": {`,
		start.Format("2006-01-02"), end.Format("2006-01-02"), fixture.Stations, fixture.Metadata)
	for i, st := range []string{"07015", "00052", "000R5", "STATIC0010"} {
		step := 10 * time.Minute
		if st == "07015" {
			step = time.Hour
		}
		if i > 0 {
			w.WriteString(",")
		}
		fmt.Fprintf(w, "\n%q: [", st)
		for t := start; t.Before(end); t = t.Add(step) {
			if t != start {
				w.WriteString(",")
			}
			tc := fmt.Sprintf("%.1f", temp(rng, t))
			if rng.IntN(100) == 0 {
				tc = ""
			}
			fmt.Fprintf(w, "\n{\"id_station\": %q, \"dh_utc\": %q, \"temperature\": %q, \"humidite\": \"%d\", \"point_de_rosee\": \"%.1f\", \"pluie_1h\": \"0\"",
				st, t.Format("2006-01-02 15:04:05"), tc, 60+rng.IntN(40), 8+rng.Float64()*4)
			if st == "07015" {
				fmt.Fprintf(w, `, "pression": "%.1f", "visibilite": "%d", "vent_moyen": "%.1f", "vent_rafales": null, "vent_direction": "%d", "pluie_3h": "0", "neige_au_sol": null, "nebulosite": "%d", "temps_omm": null`,
					1000+rng.Float64()*30, 1000*(1+rng.IntN(20)), rng.Float64()*20, 10*rng.IntN(36), rng.IntN(9))
			}
			w.WriteString("}")
		}
		w.WriteString("]")
	}
	w.WriteString(",\n\"_params\": [\"temperature\", \"humidite\"]}}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// wuDays is one Weather Underground sheet per day, a reading every 5
// minutes, in °F, mph and inHg as the site exports them.
func wuDays(rng *rand.Rand, start time.Time, days int) []Sheet {
	dirs := []string{"N", "NNE", "NE", "East", "SE", "S", "SSW", "SW", "West", "WNW", "NW", "NNW", ""}
	sheets := make([]Sheet, days)
	for d := range days {
		day := start.AddDate(0, 0, d)
		s := Sheet{Name: day.Format("020106")}
		for m := 0; m < 1440; m += 5 {
			f := temp(rng, day.Add(time.Duration(m)*time.Minute))*9/5 + 32
			s.Rows = append(s.Rows, wu(hm(m/60, m%60), fmt.Sprintf("%.1f", f), fmt.Sprintf("%.1f", f-4), fmt.Sprint(60+rng.IntN(40)),
				dirs[rng.IntN(len(dirs))], fmt.Sprintf("%.1f", rng.Float64()*12), fmt.Sprintf("%.1f", rng.Float64()*20),
				fmt.Sprintf("%.2f", 29.5+rng.Float64()), "0.00", "0.00", "0", "0"))
		}
		sheets[d] = s
	}
	return sheets
}
