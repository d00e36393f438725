package weather

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

// ErrNoDaySheets means a workbook has no sheet named like a day (DDMMYY).
var ErrNoDaySheets = errors.New("no sheet named DDMMYY (one sheet per day)")

// wuHeader is the header of every day sheet.
var wuHeader = []string{"Time", "Temperature", "Dew Point", "Humidity", "Wind", "Speed", "Gust", "Pressure",
	"Precip. Rate.", "Precip. Accum.", "UV", "Solar"}

var daySheet = regexp.MustCompile(`^\d{6}$`)

func loadWorkbook(ctx context.Context, e *ingest.Emitter, w Workbook) error {
	tz, err := time.LoadLocation(w.Station.TZ)
	if err != nil {
		return fmt.Errorf("time zone %s of %s: %w", w.Station.TZ, w.Station.ID, err)
	}
	f, err := e.OpenWorkbook(w.File)
	if err != nil {
		return err
	}
	defer f.Close()
	var days []string
	for _, s := range f.GetSheetList() {
		if daySheet.MatchString(s) {
			days = append(days, s)
		} else {
			e.Warn(fmt.Sprintf("%s[%s]: not a day sheet (DDMMYY), ignored", w.File, s))
		}
	}
	if len(days) == 0 {
		return fmt.Errorf("%s: %w; sheets found: %s", w.File, ErrNoDaySheets, strings.Join(f.GetSheetList(), ", "))
	}
	if err := e.Doc(ctx, Stations, ingest.Doc{ID: w.Station.ID, Body: w.Station.doc(), Src: ingest.Loc{File: w.File}}); err != nil {
		return err
	}
	for _, sheet := range days {
		day, err := time.ParseInLocation("020106", sheet, tz)
		if err != nil {
			return fmt.Errorf("%s[%s]: sheet name is not a date DDMMYY: %w", w.File, sheet, err)
		}
		s := &sheetReader{e: e, w: w, sheet: sheet, day: day}
		if err := ingest.EachRow(ctx, f, sheet, true, s.row(ctx)); err != nil {
			return fmt.Errorf("%s: %w", w.File, err)
		}
	}
	return nil
}

type sheetReader struct {
	e     *ingest.Emitter
	w     Workbook
	sheet string
	day   time.Time
	h     *ingest.Header
	prev  time.Time
}

func (s *sheetReader) row(ctx context.Context) func(int, []string) error {
	return func(n int, cells []string) error {
		if s.h == nil {
			s.h = ingest.NewHeader(cells)
			if err := s.h.Require(0, wuHeader...); err != nil {
				return fmt.Errorf("sheet %s row %d: %w", s.sheet, n, err)
			}
			return nil
		}
		if ingest.Blank(cells) {
			return nil
		}
		s.e.Read(1)
		loc := ingest.Loc{File: s.w.File, Sheet: s.sheet, Row: n, Raw: strings.Join(cells, "\t")}
		doc, t, fe := ConvertWU(s.w.Station, s.day, s.prev, s.h, cells)
		if fe != nil {
			return s.e.RejectField(ctx, Readings, loc, fe)
		}
		s.prev = t
		doc.Src = loc
		return s.e.Doc(ctx, Readings, doc)
	}
}

// ConvertWU converts one row of a day sheet of the station's workbook,
// its values written in the station's units. Time is an Excel day
// fraction in local time; prev is the previous reading's time, used to
// place readings of the hour that repeats when DST ends (the local clock
// goes back, the UTC time must not).
func ConvertWU(st WUStation, day, prev time.Time, h *ingest.Header, cells []string) (ingest.Doc, time.Time, *ingest.FieldError) {
	station := st.ID
	r := &ingest.Row{H: h, Fields: cells}
	frac, ok := ingest.ParseDecimal(r.Str("Time"))
	if !ok || frac < 0 {
		return ingest.Doc{}, time.Time{}, &ingest.FieldError{Field: "Time", Value: r.Str("Time"), Reason: "bad time", Why: "is not an Excel time (day fraction)"}
	}
	secs := int(math.Round((frac - math.Floor(frac)) * 86400))
	t := localTime(time.Date(day.Year(), day.Month(), day.Day(), secs/3600, secs/60%60, secs%60, 0, day.Location()), prev)
	when := bson.NewDateTimeFromTime(t)
	body := reading(station, "wunderground", when, t.UTC().Format("2006-01-02"))
	body = append(body, bson.E{Key: "local_time", Value: t.Format("2006-01-02 15:04:05 MST")})
	body = append(body, convertValues(r, st.Units)...)
	if r.Err != nil {
		return ingest.Doc{}, time.Time{}, r.Err
	}
	return ingest.Doc{ID: readingID(station, when), Body: body}, t, nil
}

// localTime resolves the repeated hour when DST ends (02:00-03:00 happens
// twice): of the instants showing this wall time, the first one after the
// previous reading (sheets are in time order).
func localTime(t, prev time.Time) time.Time {
	cands := []time.Time{t}
	if e := t.Add(-time.Hour); sameWall(e, t) {
		cands = []time.Time{e, t}
	} else if l := t.Add(time.Hour); sameWall(l, t) {
		cands = []time.Time{t, l}
	}
	for _, c := range cands {
		if prev.IsZero() || c.After(prev) {
			return c
		}
	}
	return cands[len(cands)-1]
}

func sameWall(a, b time.Time) bool {
	return a.Day() == b.Day() && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}
