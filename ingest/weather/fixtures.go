package weather

import (
	"fmt"
	"path/filepath"

	"github.com/xuri/excelize/v2"
)

// Sheet is one day sheet of a Weather Underground workbook: rows of Time
// (an Excel day fraction) and the text values, in wuHeader order.
type Sheet struct {
	Name string
	Rows [][]any
}

// WriteWorkbook writes a workbook in Weather Underground's layout (header
// row, Time as a number formatted h:mm, values as text with a no-break
// space before the unit). Used for test fixtures and benchmark input.
func WriteWorkbook(path string, sheets []Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	timeStyle, err := f.NewStyle(&excelize.Style{NumFmt: 20}) // h:mm
	if err != nil {
		return fmt.Errorf("style: %w", err)
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return fmt.Errorf("sheet %s: %w", s.Name, err)
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return fmt.Errorf("sheet %s: %w", s.Name, err)
		}
		sw, err := f.NewStreamWriter(s.Name)
		if err != nil {
			return fmt.Errorf("sheet %s: %w", s.Name, err)
		}
		header := make([]any, 0, len(wuHeader))
		for _, c := range wuHeader {
			header = append(header, c)
		}
		if err := sw.SetRow("A1", header); err != nil {
			return fmt.Errorf("sheet %s: %w", s.Name, err)
		}
		for r, row := range s.Rows {
			cells := append([]any{}, row...)
			if t, ok := cells[0].(float64); ok {
				cells[0] = excelize.Cell{Value: t, StyleID: timeStyle}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, cells); err != nil {
				return fmt.Errorf("sheet %s row %d: %w", s.Name, r+2, err)
			}
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("sheet %s: %w", s.Name, err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// hm is an Excel day fraction for hh:mm.
func hm(h, m int) float64 { return (float64(h)*60 + float64(m)) / 1440 }

const nb = "\u00a0"

// wu builds a row: time, °F, dew °F, %, wind, mph, gust mph, inHg, in/h, in, UV, w/m².
func wu(t float64, temp, dew, hum, wind, speed, gust, press, rate, accum, uv, solar string) []any {
	u := func(v, unit string) any {
		if v == "" {
			return ""
		}
		return v + nb + unit
	}
	return []any{t, u(temp, "°F"), u(dew, "°F"), u(hum, "%"), wind, u(speed, "mph"), u(gust, "mph"),
		u(press, "in"), u(rate, "in"), u(accum, "in"), uv, u(solar, "w/m²")}
}

// FixtureWorkbooks writes the two fixture workbooks into dir and returns
// their paths by station: ILAMAD25 (La Madeleine, Europe/Paris) with the
// day DST ends (27 Oct 2024: 02:00-03:00 happens twice), a short day, bad
// rows and a sheet that is not a day; IICHTE19 (Ichtegem, Europe/Brussels).
func FixtureWorkbooks(dir string) (map[string]string, error) {
	out := map[string]string{}
	for id, sheets := range FixtureSheets() {
		p := filepath.Join(dir, "wunderground-"+id+".xlsx")
		if err := WriteWorkbook(p, sheets); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, nil
}

// FixtureSheets are the day sheets of the fixture workbooks by station
// (without the header row WriteWorkbook adds).
func FixtureSheets() map[string][]Sheet {
	madeleine := []Sheet{
		{Name: "261024", Rows: [][]any{
			wu(hm(0, 4), "56.8", "54.1", "91", "SW", "4.1", "8.2", "30.16", "0.00", "0.00", "0", "0"),
			wu(hm(0, 9), "56.6", "54.0", "91", "SSW", "3.4", "6.9", "30.16", "0.00", "0.00", "0", "0"),
			wu(hm(12, 4), "62.1", "53.2", "73", "West", "8.9", "15.0", "30.12", "0.00", "0.00", "2", "312"),
			wu(hm(12, 9), "--", "53.0", "72", "W", "9.4", "15.7", "30.12", "0.00", "0.00", "2", "298"),
			wu(hm(18, 30), "58.3", "52.9", "82", "", "0.0", "0.0", "30.10", "0.01", "0.02", "0", "0"),
		}},
		{Name: "271024", Rows: [][]any{
			wu(hm(1, 55), "52.3", "50.0", "92", "NNW", "2.2", "4.5", "30.05", "0.00", "0.00", "0", "0"),
			wu(hm(2, 0), "52.1", "49.9", "92", "N", "2.0", "4.1", "30.05", "0.00", "0.00", "0", "0"),
			wu(hm(2, 30), "51.8", "49.8", "93", "N", "1.8", "3.6", "30.05", "0.00", "0.00", "0", "0"),
			wu(hm(2, 0), "51.6", "49.7", "93", "NNE", "1.5", "3.1", "30.04", "0.00", "0.00", "0", "0"),
			wu(hm(2, 30), "51.4", "49.6", "94", "NE", "1.3", "2.9", "30.04", "0.00", "0.00", "0", "0"),
			wu(hm(3, 0), "51.3", "49.6", "94", "NE", "1.1", "2.5", "30.04", "0.00", "0.00", "0", "0"),
			{hm(3, 5), "14.2" + nb + "°C", "49.5" + nb + "°F", "94" + nb + "%", "NE", "1.1" + nb + "mph", "2.5" + nb + "mph", "30.04" + nb + "in", "0.00" + nb + "in", "0.00" + nb + "in", "0", "0" + nb + "w/m²"},
			wu(hm(3, 10), "51.2", "49.5", "94", "Variable", "0.9", "2.0", "30.04", "0.00", "0.00", "0", "0"),
		}},
		{Name: "Summary", Rows: [][]any{{"exported by a spreadsheet user"}}},
	}
	ichtegem := []Sheet{{Name: "011024", Rows: [][]any{
		wu(hm(9, 0), "55.4", "50.2", "83", "WSW", "6.5", "11.2", "29.48", "0.00", "0.00", "1", "120"),
		wu(hm(9, 5), "55.9", "50.4", "82", "SW", "7.2", "12.5", "29.48", "0.00", "0.00", "1", "135"),
		wu(hm(9, 10), "56.3", "50.5", "81", "SW", "6.9", "13.0", "29.47", "0.02", "0.01", "1", "140"),
	}}}
	return map[string][]Sheet{"ILAMAD25": madeleine, "IICHTE19": ichtegem}
}
