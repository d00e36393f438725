package cluster

import (
	"fmt"
	"maps"
	"time"

	"github.com/noscites/citadel/config"
)

// Desired converts the file's replica set into the configuration document
// citadel wants running. cur is the live configuration (nil when the set is
// not initiated): a host already in the set keeps its _id, an explicit id in
// the file is used for a new host, and other new hosts get the lowest _id
// not used by the live set or the file. Settings the file does not mention
// keep their live values. The version is cur's plus one (1 for initiate).
func Desired(rs *config.ReplicaSet, cur *Config) (*Config, error) {
	out := &Config{ID: rs.Name, Version: 1, ProtocolVersion: 1}
	if cur != nil {
		out.Version = cur.Version + 1
		out.ProtocolVersion = cur.ProtocolVersion
		out.WriteConcernMajorityJournalDefault = cur.WriteConcernMajorityJournalDefault
	}
	ids, err := assignIDs(rs, cur)
	if err != nil {
		return nil, err
	}
	for i, m := range rs.Members {
		out.Members = append(out.Members, memberDoc(m, ids[i], cur))
	}
	sortMembers(out.Members)
	out.Settings = desiredSettings(rs.Settings, cur)
	return out, nil
}

// assignIDs returns the _id of each file member, in file order.
func assignIDs(rs *config.ReplicaSet, cur *Config) ([]int, error) {
	ids := make([]int, len(rs.Members))
	used := map[int]string{}
	if cur != nil {
		for _, m := range cur.Members {
			used[m.ID] = normHost(m.Host)
		}
	}
	pending := []int{}
	for i, m := range rs.Members {
		var live *MemberConfig
		if cur != nil {
			live = cur.Member(m.Host)
		}
		switch {
		case live != nil && m.ID != nil && *m.ID != live.ID:
			return nil, fmt.Errorf("%w: %s has _id %d in the live set but id %d in the file; remove the id from the file or set it to %d",
				ErrIDConflict, m.Host, live.ID, *m.ID, live.ID)
		case live != nil:
			ids[i] = live.ID
		case m.ID != nil:
			if h, ok := used[*m.ID]; ok && h != normHost(m.Host) {
				return nil, fmt.Errorf("%w: id %d of %s is already used by %s; pick a free id or remove it from the file",
					ErrIDConflict, *m.ID, m.Host, h)
			}
			ids[i] = *m.ID
			used[*m.ID] = normHost(m.Host)
		default:
			pending = append(pending, i)
		}
	}
	next := 0
	for _, i := range pending {
		for _, taken := used[next]; taken; _, taken = used[next] {
			next++
		}
		ids[i] = next
		used[next] = normHost(rs.Members[i].Host)
	}
	return ids, nil
}

func memberDoc(m config.Member, id int, cur *Config) MemberConfig {
	host := m.Host
	if cur != nil {
		if live := cur.Member(m.Host); live != nil {
			host = live.Host // keep the spelling mongod knows
		}
	}
	doc := MemberConfig{
		ID: id, Host: host, ArbiterOnly: m.Arbiter, BuildIndexes: true, Hidden: m.Hidden,
		Priority: m.EffectivePriority(), Votes: m.EffectiveVotes(),
		Tags:               maps.Clone(m.Tags),
		SecondaryDelaySecs: int64(m.SecondaryDelay.D() / time.Second),
	}
	if doc.Tags == nil {
		doc.Tags = map[string]string{}
	}
	if m.Arbiter {
		doc.Priority = 0
	}
	return doc
}

func desiredSettings(s config.RSSettings, cur *Config) *Settings {
	out := &Settings{}
	if cur != nil && cur.Settings != nil {
		*out = *cur.Settings
	}
	if s.ElectionTimeout > 0 {
		out.ElectionTimeoutMillis = s.ElectionTimeout.D().Milliseconds()
	}
	if s.HeartbeatInterval > 0 {
		out.HeartbeatIntervalMillis = s.HeartbeatInterval.D().Milliseconds()
	}
	if s.HeartbeatTimeout > 0 {
		out.HeartbeatTimeoutSecs = max(1, int64(s.HeartbeatTimeout.D()/time.Second))
	}
	if s.CatchUpTimeout > 0 {
		v := s.CatchUpTimeout.D().Milliseconds()
		out.CatchUpTimeoutMillis = &v
	}
	if s.ChainingAllowed != nil {
		v := *s.ChainingAllowed
		out.ChainingAllowed = &v
	}
	if isZeroSettings(out) && out.ReplicaSetID == nil && out.GetLastErrorModes == nil && out.GetLastErrorDefaults == nil {
		return nil
	}
	return out
}

// SameSettings reports whether two settings documents are equal.
func SameSettings(a, b *Settings) bool {
	if a == nil || b == nil {
		return a == nil && b == nil || isZeroSettings(a) && isZeroSettings(b)
	}
	return eqBool(a.ChainingAllowed, b.ChainingAllowed) &&
		a.HeartbeatIntervalMillis == b.HeartbeatIntervalMillis &&
		a.HeartbeatTimeoutSecs == b.HeartbeatTimeoutSecs &&
		a.ElectionTimeoutMillis == b.ElectionTimeoutMillis &&
		eqInt(a.CatchUpTimeoutMillis, b.CatchUpTimeoutMillis) &&
		eqInt(a.CatchUpTakeoverDelayMillis, b.CatchUpTakeoverDelayMillis) &&
		replicaSetIDOf(a) == replicaSetIDOf(b)
}

func isZeroSettings(s *Settings) bool {
	return s == nil || (s.ChainingAllowed == nil && s.HeartbeatIntervalMillis == 0 && s.HeartbeatTimeoutSecs == 0 &&
		s.ElectionTimeoutMillis == 0 && s.CatchUpTimeoutMillis == nil && s.CatchUpTakeoverDelayMillis == nil)
}

func replicaSetIDOf(s *Settings) string {
	if s.ReplicaSetID == nil {
		return ""
	}
	return s.ReplicaSetID.Hex()
}

func eqBool(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func eqInt(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
