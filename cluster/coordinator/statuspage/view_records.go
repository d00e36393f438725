package statuspage

import (
	"cmp"
	"fmt"
	"time"
)

func pitrRows(in Input) []PITRRow {
	var rows []PITRRow
	for _, p := range in.PITR {
		r := PITRRow{ReplicaSet: p.ReplicaSet, Source: cmp.Or(p.Source, "-"), Lag: "no slice yet", Error: p.LastError, Restarts: p.Restarts}
		if p.Position.T != 0 {
			pos := time.Unix(int64(p.Position.T), 0)
			lag := in.Now.Sub(pos)
			r.Lag, r.Position = human(lag), pos.UTC().Format(time.RFC3339)
			r.Stale = lag > max(3*in.Slices[p.ReplicaSet], time.Minute)
		}
		rows = append(rows, r)
	}
	return rows
}

func drillRows(in Input) []DrillRow {
	var rows []DrillRow
	for _, d := range in.Drills[:min(len(in.Drills), shownDrills)] {
		l := in.Limits[d.Drill]
		rows = append(rows, DrillRow{ID: d.ID, Drill: d.Drill, End: d.End.UTC().Format("2006-01-02 15:04:05Z"),
			Age: human(in.Now.Sub(d.End)) + " ago", Passed: d.Passed,
			RTO: human(d.RTO), MaxRTO: limit(l.MaxRTO), RTOBreached: l.MaxRTO > 0 && d.RTO > l.MaxRTO,
			RPO: human(d.RPO), MaxRPO: limit(l.MaxRPO), RPOBreached: l.MaxRPO > 0 && d.RPO > l.MaxRPO})
	}
	return rows
}

// problems sums up, at the top of the page, what needs an operator.
func problems(v View) []string {
	var out []string
	if v.ObserveErr != "" {
		out = append(out, "replica sets: "+v.ObserveErr)
	}
	for _, s := range v.Sets {
		if s.Bad {
			out = append(out, fmt.Sprintf("replica set %s: %s", s.Name, cmp.Or(s.Problem, "no primary")))
		}
		for _, site := range s.Sites {
			for _, m := range site.Members {
				if m.Bad {
					out = append(out, fmt.Sprintf("replica set %s: member %s (%s) is %s", s.Name, m.Host, site.Site, m.Health))
				}
			}
		}
	}
	for _, j := range v.Jobs {
		if j.Failing {
			out = append(out, fmt.Sprintf("job %s: %s", j.Name, j.Status))
		}
	}
	for _, p := range v.PITR {
		if p.Stale {
			out = append(out, fmt.Sprintf("PITR of %s: last slice ends %s ago", p.ReplicaSet, p.Lag))
		}
	}
	seen := map[string]bool{}
	for _, d := range v.Drills {
		if seen[d.Drill] {
			continue // the newest run of each drill
		}
		seen[d.Drill] = true
		switch {
		case d.RTOBreached || d.RPOBreached:
			out = append(out, fmt.Sprintf("drill %s: RTO %s (max %s), RPO %s (max %s)", d.Drill, d.RTO, d.MaxRTO, d.RPO, d.MaxRPO))
		case !d.Passed:
			out = append(out, fmt.Sprintf("drill %s: newest run %s failed", d.Drill, d.ID))
		}
	}
	return out
}
