package ingest

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string, opt CSVOptions) ([]CSVRecord, error) {
	t.Helper()
	r := NewCSVReader(strings.NewReader(in), opt)
	var out []CSVRecord
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if rec.Fields != nil {
			rec.Fields = append([]string(nil), rec.Fields...)
			out = append(out, rec)
		}
		if err != nil {
			return out, err
		}
	}
}

func TestCSVReader(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		opt   CSVOptions
		want  [][]string
		lines []int
	}{
		{"simple", "a,b\n1,2\n", CSVOptions{}, [][]string{{"a", "b"}, {"1", "2"}}, []int{1, 2}},
		{"bom crlf trailing comma", "\xef\xbb\xbf\"a\",\"b\",\r\n\"1\",\"\",\r\n", CSVOptions{},
			[][]string{{"a", "b", ""}, {"1", "", ""}}, []int{1, 2}},
		{"newline in quotes", "id,t\n1,\"x\r\ny\"\n2,\"say \"\"hi\"\"\"\n", CSVOptions{},
			[][]string{{"id", "t"}, {"1", "x\ny"}, {"2", `say "hi"`}}, []int{1, 2, 4}},
		{"json in field", `1,"[""Wifi"", ""TV""]"` + "\n", CSVOptions{}, [][]string{{"1", `["Wifi", "TV"]`}}, []int{1}},
		{"pipe no quotes", "a|b\"c|\n", CSVOptions{Comma: '|', NoQuotes: true}, [][]string{{"a", `b"c`, ""}}, []int{1}},
		{"blank lines skipped", "a\n\n\nb", CSVOptions{}, [][]string{{"a"}, {"b"}}, []int{1, 4}},
		{"no final newline", "a,b", CSVOptions{}, [][]string{{"a", "b"}}, []int{1}},
	}
	for _, tc := range cases {
		recs, err := readAll(t, tc.in, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got [][]string
		var lines []int
		for _, r := range recs {
			got = append(got, r.Fields)
			lines = append(lines, r.Line)
		}
		if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(lines, tc.lines) {
			t.Errorf("%s: got %q at %v, want %q at %v", tc.name, got, lines, tc.want, tc.lines)
		}
	}
}

func TestCSVTruncatedAndBinary(t *testing.T) {
	recs, err := readAll(t, "a,b\n1,\"unterminated\n2,3\n", CSVOptions{})
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnterminatedQuote) || pe.Line != 2 {
		t.Fatalf("want unterminated quote at line 2, got %v", err)
	}
	if len(recs) != 2 || recs[1].Raw != "1,\"unterminated\n2,3" {
		t.Fatalf("raw of the truncated record: %+v", recs)
	}
	_, err = readAll(t, "a,b\nx\x00y,z\n", CSVOptions{})
	if !errors.Is(err, ErrBinary) {
		t.Fatalf("want ErrBinary, got %v", err)
	}
	_, err = readAll(t, "\""+strings.Repeat("x\n", MaxRecordBytes/2+1), CSVOptions{})
	if !errors.Is(err, ErrRecordTooLong) {
		t.Fatalf("want ErrRecordTooLong, got %v", err)
	}
	_, err = readAll(t, strings.Repeat("x", MaxRecordBytes+10), CSVOptions{})
	if !errors.Is(err, ErrRecordTooLong) {
		t.Fatalf("long line: want ErrRecordTooLong, got %v", err)
	}
}

func TestHeaderRequire(t *testing.T) {
	h := NewHeader([]string{"id;name;price"})
	err := h.Require(',', "id", "price")
	if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), `"price"`) || !strings.Contains(err.Error(), "separator") {
		t.Fatalf("got %v", err)
	}
	h = NewHeader([]string{"id", "name", ""})
	if err := h.Require(',', "id", "name"); err != nil || h.Get([]string{"1", "x", ""}, "name") != "x" || h.Get([]string{"1"}, "name") != "" {
		t.Fatalf("got %v", err)
	}
}

// FuzzCSVReader checks that any input reads to the end without panicking,
// that line numbers grow and that unquoted records round-trip.
func FuzzCSVReader(f *testing.F) {
	f.Add("a,b\n1,\"x\ny\"\n", false)
	f.Add("\xef\xbb\xbf\"a\",\r\n\"\"\"\"\r\n", false)
	f.Add("a|b|c\n1|2|\n", true)
	f.Add("\"", false)
	f.Fuzz(func(t *testing.T, in string, noQuotes bool) {
		opt := CSVOptions{NoQuotes: noQuotes}
		if noQuotes {
			opt.Comma = '|'
		}
		r := NewCSVReader(strings.NewReader(in), opt)
		last := 0
		for i := 0; ; i++ {
			rec, err := r.Read()
			if err == io.EOF {
				return
			}
			if errors.Is(err, ErrRecordTooLong) {
				return
			}
			if rec.Line <= last {
				t.Fatalf("line %d after %d", rec.Line, last)
			}
			last = rec.Line
			if noQuotes && err == nil && !strings.ContainsAny(rec.Raw, "\r") {
				// Raw is after the file's BOM was dropped; a BOM further on
				// is data, in Raw and in the fields alike.
				if got := strings.Join(rec.Fields, "|"); got != rec.Raw {
					t.Fatalf("fields %q do not rebuild raw %q", rec.Fields, rec.Raw)
				}
			}
			if i > len(in)+1 {
				t.Fatal("more records than bytes")
			}
		}
	})
}
