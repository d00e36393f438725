package dvf

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Header2022 is the 43-column header of the editions since 2022.
func Header2022() []string { return strings.Split(header2022, "|") }

const header2022 = "Identifiant de document|Reference document|1 Articles CGI|2 Articles CGI|" +
	"3 Articles CGI|4 Articles CGI|5 Articles CGI|No disposition|Date mutation|Nature mutation|Valeur fonciere|" +
	"No voie|B/T/Q|Type de voie|Code voie|Voie|Code postal|Commune|Code departement|Code commune|" +
	"Prefixe de section|Section|No plan|No Volume|1er lot|Surface Carrez du 1er lot|2eme lot|" +
	"Surface Carrez du 2eme lot|3eme lot|Surface Carrez du 3eme lot|4eme lot|Surface Carrez du 4eme lot|" +
	"5eme lot|Surface Carrez du 5eme lot|Nombre de lots|Code type local|Type local|Identifiant local|" +
	"Surface reelle bati|Nombre pieces principales|Nature culture|Nature culture speciale|Surface terrain"

var genDepts = []struct{ dept, commune, postal, name string }{
	{"75", "111", "75011", "PARIS 11"}, {"69", "383", "69003", "LYON 3EME"}, {"01", "53", "1000", "BOURG-EN-BRESSE"},
	{"2A", "4", "20000", "AJACCIO"}, {"59", "350", "59000", "LILLE"}, {"78", "646", "78000", "VERSAILLES"},
	{"971", "101", "97139", "LES ABYMES"}, {"13", "55", "13001", "MARSEILLE 1ER"},
}

// Generate writes DVF lines (2022 format) until at least size bytes are
// written: mutations of one to three lines (an apartment with a
// dependency, a house on two parcels, land), decimal commas, short codes.
// Benchmark input, not fixtures; deterministic for a seed.
func Generate(w io.Writer, size int64, seed uint64) (lines int64, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 7))
	n, err := bw.WriteString(header2022 + "\n")
	written := int64(n)
	for i := 0; err == nil && written < size; i++ {
		var s string
		s, lines = genMutation(rng, i), lines+1
		n, err = bw.WriteString(s)
		written += int64(n)
		lines += int64(strings.Count(s, "\n")) - 1
	}
	if err != nil {
		return lines, fmt.Errorf("write dvf: %w", err)
	}
	return lines, bw.Flush()
}

func genMutation(rng *rand.Rand, i int) string {
	c := genDepts[rng.IntN(len(genDepts))]
	date := fmt.Sprintf("%02d/%02d/2022", 1+rng.IntN(28), 1+rng.IntN(12))
	value := fmt.Sprintf("%d,00", 50000+rng.IntN(900000))
	head := fmt.Sprintf("|||||||%06d|%s|Vente|%s|%d||RUE|%04d|DE LA PAIX %d|%s|%s|%s|%s||AB|%d|",
		1+i%3, date, value, 1+rng.IntN(200), rng.IntN(9999), i, c.postal, c.name, c.dept, c.commune, i%5000)
	switch rng.IntN(3) {
	case 0: // apartment + dependency
		surf := 15 + rng.IntN(120)
		return head + fmt.Sprintf("|%d|%d,%02d|||||||||2|2|Appartement||%d|%d|||\n", i%900, surf, rng.IntN(100), surf, 1+surf/25) +
			head + fmt.Sprintf("|%d||||||||||1|3|Dépendance||0|0|||\n", 900+i%900)
	case 1: // house on two parcels
		surf := 60 + rng.IntN(200)
		return head + fmt.Sprintf("|||||||||||0|1|Maison||%d|%d|S||%d\n", surf, 2+surf/30, 200+rng.IntN(2000)) +
			head + fmt.Sprintf("|||||||||||0||||||J||%d\n", 50+rng.IntN(500))
	default: // land
		return head + fmt.Sprintf("|||||||||||0||||||T||%d\n", 100+rng.IntN(5000))
	}
}
