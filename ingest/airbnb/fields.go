package airbnb

import (
	"bytes"
	_ "embed"
)

//go:embed fields.yaml
var fieldsYAML []byte

// FieldsYAML is the dataset's data dictionary as data (fields.yaml): what
// each collection and field path holds, its unit and source, the natural
// key, the required fields, the freshness field and the personal fields.
// `citadel dictionary` and `citadel quality` read it.
func FieldsYAML() []byte { return bytes.Clone(fieldsYAML) }
