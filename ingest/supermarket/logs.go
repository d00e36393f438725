package supermarket

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/noscites/citadel/ingest"
)

func (l *Loader) loadLogs(ctx context.Context, e *ingest.Emitter, ref *refs) error {
	f, err := e.OpenWorkbook(l.LogsFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := requireSheets(l.LogsFile, f.GetSheetList(), SheetLogs); err != nil {
		return err
	}
	return eachSheet(ctx, e, f, l.LogsFile, SheetLogs, func(ctx context.Context, e *ingest.Emitter, r *ingest.Row, loc ingest.Loc) error {
		body := ConvertLog(r, ref.employees)
		return emit(ctx, e, Logs, r, loc, fmt.Sprintf("%s/%d", SheetLogs, loc.Row), body)
	})
}

// dateLikePrice is a price Excel turned into a date: "2.08" shown as "02/08".
var dateLikePrice = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})(/\d{2,4})?$`)

// ConvertLog converts one log row. A price that Excel turned into a date
// (champs "prix", detail "02/08") is repaired to 2.08, flagged, and the raw
// text kept; users that are not employees are flagged.
func ConvertLog(r *ingest.Row, employees map[string]bool) bson.D {
	user := r.Str("id_user")
	detail := r.Str("detail")
	body := bson.D{{Key: "user", Value: user}, {Key: "user_is_employee", Value: employees[user]},
		{Key: "date", Value: ExcelDate(r, "date")}, {Key: "action", Value: r.Str("action")},
		{Key: "table", Value: r.Str("table_insert")}, {Key: "id_ligne", Value: r.Str("id_ligne")},
		{Key: "champs", Value: r.Opt("champs")}, {Key: "detail", Value: r.Opt("detail")}}
	if r.Str("champs") != "prix" || detail == "" {
		return body
	}
	if m := dateLikePrice.FindStringSubmatch(detail); m != nil {
		whole, _ := strconv.Atoi(m[1])
		cents, _ := strconv.Atoi(m[2])
		price := float64(whole) + float64(cents)/100
		return append(body, bson.E{Key: "prix", Value: price}, bson.E{Key: "prix_repaired", Value: true})
	}
	if p, ok := ingest.ParseDecimal(detail); ok {
		return append(body, bson.E{Key: "prix", Value: p}, bson.E{Key: "prix_repaired", Value: false})
	}
	r.Fail("detail", detail, "bad price", "is neither a price nor a price Excel turned into a date")
	return body
}
