package store

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/raft"
)

// fsmSnapshot is the state encoded at Snapshot time.
type fsmSnapshot struct{ data []byte }

// Persist implements raft.FSMSnapshot.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("write fsm snapshot: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (s *fsmSnapshot) Release() {}

func encodeState(st *state) ([]byte, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode fsm snapshot: %w", err)
	}
	return data, nil
}

// decodeState reads a snapshot. A snapshot of a newer format is refused:
// restoring it partially would lose state the newer binary relies on.
func decodeState(r io.Reader) (*state, error) {
	st := newState()
	if err := json.NewDecoder(r).Decode(st); err != nil {
		return nil, fmt.Errorf("decode fsm snapshot: %w", err)
	}
	if st.Format > stateFormat {
		return nil, fmt.Errorf("decode fsm snapshot: format %d is newer than this binary's %d: upgrade citadel on this node", st.Format, stateFormat)
	}
	st.Format = stateFormat
	st.fill()
	return st, nil
}
