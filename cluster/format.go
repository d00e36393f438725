package cluster

import (
	"fmt"
	"strconv"
	"time"
)

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// humanDuration prints a duration rounded for a table: 850ms, 12.4s, 3h2m.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	h := int(d.Hours())
	return fmt.Sprintf("%dh%dm", h, int(d.Minutes())-60*h)
}

func formatPriority(p float64) string { return strconv.FormatFloat(p, 'g', -1, 64) }
