package ingest

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Answer is a canned question answered: what `citadel report` prints and
// what a drill compares.
type Answer struct {
	Name     string `json:"name"`
	Question string `json:"question"`
	*Table
}

// Ask answers the probes in order, each with its arguments (as ArgsFor
// returns them, one per probe); the first failure stops and names its
// probe.
func Ask(ctx context.Context, db *mongo.Database, probes []Probe, args []ProbeArgs) ([]Answer, error) {
	if len(args) != len(probes) {
		return nil, fmt.Errorf("ask: %d argument sets for %d probes", len(args), len(probes))
	}
	out := make([]Answer, 0, len(probes))
	for i, p := range probes {
		tab, err := p.Run(ctx, db, args[i])
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.Name, err)
		}
		out = append(out, Answer{Name: p.Name, Question: p.Question, Table: tab})
	}
	return out, nil
}
