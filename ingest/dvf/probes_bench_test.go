package dvf

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/noscites/citadel/ingest/ingesttest"
)

// BenchmarkProbes loads 100,000 generated mutations (about 150,000 lines;
// CITADEL_BENCH_PROBE_MUTATIONS sets the number) into FerretDB and times
// each canned question, as `citadel report dvf` runs them, against one
// full scan of the collection measured in the same run. Target: every
// question under 10 s.
func BenchmarkProbes(b *testing.B) {
	n := 100_000
	if s := os.Getenv("CITADEL_BENCH_PROBE_MUTATIONS"); s != "" {
		fmt.Sscan(s, &n)
	}
	path := filepath.Join(b.TempDir(), "valeursfoncieres-2021-2022.txt")
	if err := writeMutations(path, n, 1); err != nil {
		b.Fatal(err)
	}
	db := ingesttest.DB(b)
	ingesttest.Load(b, db, New(path))
	for range b.N {
		ingesttest.TimeProbes(b, db, "dvf", Collection, Probes(), nil)
	}
}

// writeMutations writes n mutations in the 2022 format, spread like the
// real files rather than gen.go's eight communes: two years (eight
// quarters), every department (big ones four times as often), communes
// log-uniform over 1..600 per department (a few busy towns, a long tail:
// tens of thousands of (quarter, commune) groups), mostly sales with some
// exchanges and off-plan sales. The lines themselves come from gen.go.
func writeMutations(path string, n int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 11))
	depts := benchDepartments()
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	natures := []string{"Vente", "Vente", "Vente", "Vente", "Vente", "Vente", "Vente", "Vente", "Vente", "Vente",
		"Vente", "Vente", "Vente", "Vente", "Vente", "Vente", "Vente en l'état futur d'achèvement", "Echange",
		"Adjudication", "Vente terrain à bâtir"}
	w.WriteString(strings.Join(Header2022(), "|") + "\n")
	for i := range n {
		dept := depts[rng.IntN(len(depts))]
		commune := int(math.Exp(rng.Float64() * math.Log(600)))
		date := start.AddDate(0, 0, rng.IntN(730)).Format("02/01/2006")
		nature := natures[rng.IntN(len(natures))]
		for _, line := range strings.SplitAfter(genMutation(rng, i), "\n") {
			if line == "" {
				continue
			}
			fl := strings.Split(line, "|")
			fl[8], fl[9] = date, nature
			fl[16], fl[17] = benchPostal(dept, commune), fmt.Sprintf("COMMUNE %s-%03d", dept, commune)
			fl[18], fl[19] = dept, fmt.Sprint(commune)
			w.WriteString(strings.Join(fl, "|"))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// benchDepartments lists every department of the shipped table, the most
// populous ones four times.
func benchDepartments() []string {
	big := map[string]bool{"75": true, "13": true, "59": true, "69": true, "33": true, "92": true, "93": true,
		"94": true, "06": true, "31": true, "44": true, "34": true, "67": true, "78": true, "77": true, "91": true}
	var out []string
	for d := range Regions() {
		out = append(out, d)
		if big[d] {
			out = append(out, d, d, d)
		}
	}
	sort.Strings(out)
	return out
}

// benchPostal is a postal code as DVF writes it (leading zero lost).
func benchPostal(dept string, commune int) string {
	var n int
	switch {
	case dept == "2A" || dept == "2B":
		n = 20
	default:
		fmt.Sscan(dept[:2], &n)
	}
	return fmt.Sprint(n*1000 + commune%1000)
}
