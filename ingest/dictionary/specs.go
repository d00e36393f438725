package dictionary

import (
	"fmt"
	"sort"
	"strings"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/ingest/edstats"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
)

// dataFiles are the datasets' data files (each package's fields.yaml).
var dataFiles = map[string]func() []byte{
	"airbnb": airbnb.FieldsYAML, "dvf": dvf.FieldsYAML, "edstats": edstats.FieldsYAML,
	"weather": weather.FieldsYAML, "supermarket": supermarket.FieldsYAML,
}

// SpecFor reads the data file of a dataset.
func SpecFor(dataset string) (*Spec, error) {
	data, ok := dataFiles[dataset]
	if !ok {
		names := make([]string, 0, len(dataFiles))
		for n := range dataFiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no data dictionary for dataset %q: use one of %s", dataset, strings.Join(names, ", "))
	}
	s, err := ParseSpec("ingest/"+dataset+"/fields.yaml", data())
	if err != nil {
		return nil, err
	}
	if s.Dataset != dataset {
		return nil, fmt.Errorf("read data dictionary %s: it describes dataset %q, not %q", s.File, s.Dataset, dataset)
	}
	return s, nil
}

// common describes the fields every loaded document carries.
var common = map[string]FieldSpec{
	ingest.HashField: {Description: "content hash of the document's body (16 bytes of SHA-256, hex): a reload leaves documents whose hash is unchanged", Source: "computed by citadel ingest"},
	ingest.RunField:  {Description: "id of the load that last wrote the document (UTC start time and a random suffix)", Source: "computed by citadel ingest"},
}

// describe is the description of a path: the data file's, else citadel's
// own for the fields every document carries.
func (c *CollectionSpec) describe(path string) FieldSpec {
	if fs, ok := c.Fields[path]; ok {
		return fs
	}
	return common[path]
}
