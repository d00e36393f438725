package replset

import (
	"fmt"

	"github.com/noscites/citadel/internal/mongosim/mongoerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// IDLUnknownField is mongod's code for an unknown field in a parsed document.
const IDLUnknownField = 40415

// ParseConfig reads a config document with mongod's defaults applied.
func ParseConfig(raw bson.Raw) (*Config, error) {
	elems, err := raw.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.FailedToParse, "invalid config document: %v", err)
	}
	c := &Config{Term: UninitializedTerm, Settings: defaultSettings()}
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		switch k {
		case "_id":
			s, ok := v.StringValueOK()
			if !ok {
				return nil, typeMismatch("ReplSetConfig._id", v, "string")
			}
			c.ID = s
		case "version":
			n, ok := v.AsFloat64OK()
			if !ok {
				return nil, typeMismatch("ReplSetConfig.version", v, "int")
			}
			c.Version = int64(n)
		case "term":
			n, ok := v.AsFloat64OK()
			if !ok {
				return nil, typeMismatch("ReplSetConfig.term", v, "long")
			}
			c.Term = int64(n)
		case "members":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, typeMismatch("ReplSetConfig.members", v, "array")
			}
			if c.Members, err = parseMembers(arr); err != nil {
				return nil, err
			}
		case "settings":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, typeMismatch("ReplSetConfig.settings", v, "object")
			}
			if err := parseSettings(d, &c.Settings); err != nil {
				return nil, err
			}
		case "protocolVersion", "writeConcernMajorityJournalDefault", "configsvr":
		default:
			return nil, mongoerr.New(IDLUnknownField, "BSON field 'ReplSetConfig.%s' is an unknown field.", k)
		}
	}
	return c, nil
}

func typeMismatch(field string, v bson.RawValue, want string) error {
	return mongoerr.New(mongoerr.TypeMismatch, "BSON field '%s' is the wrong type '%s', expected type '%s'", field, typeName(v), want)
}

func typeName(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeString:
		return "string"
	case bson.TypeInt32:
		return "int"
	case bson.TypeInt64:
		return "long"
	case bson.TypeDouble:
		return "double"
	case bson.TypeBoolean:
		return "bool"
	case bson.TypeEmbeddedDocument:
		return "object"
	case bson.TypeArray:
		return "array"
	case bson.TypeNull:
		return "null"
	}
	return v.Type.String()
}

func truthy(v bson.RawValue) (bool, bool) {
	if b, ok := v.BooleanOK(); ok {
		return b, true
	}
	if n, ok := v.AsFloat64OK(); ok {
		return n != 0, true
	}
	return false, false
}

func defaultSettings() Settings {
	return Settings{ChainingAllowed: true, HeartbeatIntervalMillis: 2000, HeartbeatTimeoutSecs: 10,
		ElectionTimeoutMillis: 10000, CatchUpTimeoutMillis: -1}
}

func parseMembers(arr bson.RawArray) ([]MemberConfig, error) {
	vals, err := arr.Values()
	if err != nil {
		return nil, mongoerr.New(mongoerr.FailedToParse, "invalid members array: %v", err)
	}
	out := make([]MemberConfig, 0, len(vals))
	for i, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, typeMismatch(fmt.Sprintf("members.%d", i), v, "object")
		}
		m, err := parseMember(d)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMember(d bson.Raw) (MemberConfig, error) {
	m := MemberConfig{BuildIndexes: true, Votes: 1, Priority: -1}
	elems, _ := d.Elements()
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		var ok bool
		switch k {
		case "_id":
			var n float64
			n, ok = v.AsFloat64OK()
			m.ID = int(n)
		case "host":
			m.Host, ok = v.StringValueOK()
		case "arbiterOnly":
			m.ArbiterOnly, ok = truthy(v)
		case "buildIndexes":
			m.BuildIndexes, ok = truthy(v)
		case "hidden":
			m.Hidden, ok = truthy(v)
		case "priority":
			m.Priority, ok = v.AsFloat64OK()
		case "votes":
			var n float64
			n, ok = v.AsFloat64OK()
			m.Votes = int(n)
		case "secondaryDelaySecs":
			var n float64
			n, ok = v.AsFloat64OK()
			m.SecondaryDelaySecs = int64(n)
		case "tags":
			var td bson.Raw
			if td, ok = v.DocumentOK(); ok {
				m.Tags = map[string]string{}
				tes, _ := td.Elements()
				for _, te := range tes {
					s, sok := te.Value().StringValueOK()
					if !sok {
						return m, typeMismatch("MemberConfig.tags."+te.Key(), te.Value(), "string")
					}
					m.Tags[te.Key()] = s
				}
			}
		default:
			return m, mongoerr.New(IDLUnknownField, "BSON field 'MemberConfig.%s' is an unknown field.", k)
		}
		if !ok {
			return m, typeMismatch("MemberConfig."+k, v, "a valid value")
		}
	}
	if m.Priority < 0 && m.Priority == -1 {
		m.Priority = 1
		if m.ArbiterOnly {
			m.Priority = 0
		}
	}
	return m, nil
}

func parseSettings(d bson.Raw, s *Settings) error {
	elems, _ := d.Elements()
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		n, isNum := v.AsFloat64OK()
		switch k {
		case "chainingAllowed":
			b, ok := truthy(v)
			if !ok {
				return typeMismatch("settings.chainingAllowed", v, "bool")
			}
			s.ChainingAllowed = b
		case "heartbeatIntervalMillis", "heartbeatTimeoutSecs", "electionTimeoutMillis", "catchUpTimeoutMillis", "catchUpTakeoverDelayMillis":
			if !isNum {
				return typeMismatch("settings."+k, v, "long")
			}
			switch k {
			case "heartbeatIntervalMillis":
				s.HeartbeatIntervalMillis = int64(n)
			case "heartbeatTimeoutSecs":
				s.HeartbeatTimeoutSecs = int64(n)
			case "electionTimeoutMillis":
				s.ElectionTimeoutMillis = int64(n)
			case "catchUpTimeoutMillis":
				s.CatchUpTimeoutMillis = int64(n)
			}
		case "replicaSetId":
			oid, ok := v.ObjectIDOK()
			if !ok {
				return typeMismatch("settings.replicaSetId", v, "objectId")
			}
			s.ReplicaSetID = oid
		case "getLastErrorModes", "getLastErrorDefaults":
		default:
			return mongoerr.New(IDLUnknownField, "BSON field 'ReplSetConfigSettings.%s' is an unknown field.", k)
		}
	}
	return nil
}

// BSON renders the config in mongod's field order.
func (c *Config) BSON() bson.D {
	members := make(bson.A, len(c.Members))
	for i, m := range c.Members {
		tags := bson.D{}
		for _, k := range sortedKeys(m.Tags) {
			tags = append(tags, bson.E{Key: k, Value: m.Tags[k]})
		}
		members[i] = bson.D{
			{Key: "_id", Value: int32(m.ID)}, {Key: "host", Value: m.Host},
			{Key: "arbiterOnly", Value: m.ArbiterOnly}, {Key: "buildIndexes", Value: m.BuildIndexes},
			{Key: "hidden", Value: m.Hidden}, {Key: "priority", Value: m.Priority},
			{Key: "tags", Value: tags}, {Key: "secondaryDelaySecs", Value: m.SecondaryDelaySecs},
			{Key: "votes", Value: int32(m.Votes)},
		}
	}
	s := c.Settings
	return bson.D{
		{Key: "_id", Value: c.ID}, {Key: "version", Value: int32(c.Version)}, {Key: "term", Value: c.Term},
		{Key: "members", Value: members},
		{Key: "protocolVersion", Value: int64(1)},
		{Key: "writeConcernMajorityJournalDefault", Value: true},
		{Key: "settings", Value: bson.D{
			{Key: "chainingAllowed", Value: s.ChainingAllowed},
			{Key: "heartbeatIntervalMillis", Value: s.HeartbeatIntervalMillis},
			{Key: "heartbeatTimeoutSecs", Value: int32(s.HeartbeatTimeoutSecs)},
			{Key: "electionTimeoutMillis", Value: s.ElectionTimeoutMillis},
			{Key: "catchUpTimeoutMillis", Value: s.CatchUpTimeoutMillis},
			{Key: "catchUpTakeoverDelayMillis", Value: int64(30000)},
			{Key: "getLastErrorModes", Value: bson.D{}},
			{Key: "getLastErrorDefaults", Value: bson.D{{Key: "w", Value: int32(1)}, {Key: "wtimeout", Value: int32(0)}}},
			{Key: "replicaSetId", Value: s.ReplicaSetID},
		}},
	}
}
