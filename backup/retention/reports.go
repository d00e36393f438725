package retention

import (
	"slices"
	"time"
)

// Report is one stored drill report, as prune knows it from its listing.
type Report struct {
	Key    string    // the object's key, <rs>/drills/<id>.json
	ID     string    // the drill run's id; ids sort in time order
	Locked time.Time // retain-until, zero when unlocked
}

// Reports picks the drill reports prune may remove: all but the newest
// keep (by id), never a locked one, none when keep is zero (the default:
// a report is small evidence, kept until the operator says otherwise).
func Reports(now time.Time, reports []Report, keep int) (remove []string) {
	if keep <= 0 || len(reports) <= keep {
		return nil
	}
	sorted := slices.Clone(reports)
	slices.SortFunc(sorted, func(a, b Report) int { return cmpString(b.ID, a.ID) })
	for _, r := range sorted[keep:] {
		if !r.Locked.After(now) {
			remove = append(remove, r.Key)
		}
	}
	return remove
}
