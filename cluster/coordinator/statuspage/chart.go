package statuspage

import (
	"fmt"
	"slices"
	"time"

	"github.com/noscites/citadel/internal/units"
)

// Chart is the inline SVG of backups over time: one bar per backup at its
// time, as tall as its size relative to the largest shown.
type Chart struct {
	Width, Height int
	Bars          []Bar
	// Top labels the largest size, From and To the time axis.
	Top, From, To string
}

// Bar is one backup in the chart, in SVG user units.
type Bar struct {
	X, Y, W, H float64
	Title      string
	Copied     bool // held by more than one storage
}

const (
	chartW, chartH = 600, 140
	chartPad       = 18 // room for the labels above and below the bars
	barW           = 8.0
)

// chart draws rows (newest first, as backupRows returns them).
func chart(rows []BackupRow) Chart {
	c := Chart{Width: chartW, Height: chartH}
	if len(rows) == 0 {
		return c
	}
	pts := slices.Clone(rows)
	slices.Reverse(pts) // oldest first, left to right
	first, last := pts[0].at, pts[len(pts)-1].at
	var top int64 = 1
	for _, p := range pts {
		top = max(top, p.Bytes)
	}
	span := last.Sub(first)
	usable, plot := float64(chartW)-barW, float64(chartH-2*chartPad)
	for i, p := range pts {
		x := usable / 2
		switch {
		case span > 0:
			x = usable * float64(p.at.Sub(first)) / float64(span)
		case len(pts) > 1:
			x = usable * float64(i) / float64(len(pts)-1)
		}
		h := max(2, plot*float64(p.Bytes)/float64(top))
		c.Bars = append(c.Bars, Bar{X: round(x), Y: round(chartPad + plot - h), W: barW, H: round(h), Copied: p.Copies > 0,
			Title: fmt.Sprintf("%s %s · %s · %d copies", p.ReplicaSet, p.ID, p.Size, p.Copies)})
	}
	c.Top = units.Bytes(top)
	c.From, c.To = first.UTC().Format(time.DateTime), last.UTC().Format(time.DateTime)
	return c
}

func round(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
