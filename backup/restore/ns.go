package restore

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/noscites/citadel/backup/layout"
	"github.com/noscites/citadel/internal/fault"
)

// Namespaces selects and renames namespaces like mongorestore's --nsInclude,
// --nsFrom and --nsTo: patterns are "db.collection" where '*' matches any
// run of characters, and each '*' of From is carried to the same position
// in To.
type Namespaces struct {
	include  []*regexp.Regexp
	from     *regexp.Regexp
	to       []string // literal parts of To between the stars
	patterns []string // the include patterns as written, for messages
	fromPat  string
}

// NewNamespaces compiles the patterns; no include pattern means everything.
func NewNamespaces(include []string, from, to string) (*Namespaces, error) {
	n := &Namespaces{}
	for _, p := range include {
		re, err := compile(p)
		if err != nil {
			return nil, fault.Usage(fmt.Sprintf("--ns-include %q: %v", p, err))
		}
		n.include = append(n.include, re)
		n.patterns = append(n.patterns, p)
	}
	if (from == "") != (to == "") {
		return nil, fault.Usage("--ns-from and --ns-to go together")
	}
	if from != "" {
		re, err := compile(from)
		if err != nil {
			return nil, fault.Usage(fmt.Sprintf("--ns-from %q: %v", from, err))
		}
		if _, err := compile(to); err != nil {
			return nil, fault.Usage(fmt.Sprintf("--ns-to %q: %v", to, err))
		}
		if strings.Count(from, "*") != strings.Count(to, "*") {
			return nil, fault.Usage(fmt.Sprintf("--ns-from %q and --ns-to %q need the same number of '*'", from, to))
		}
		n.from, n.to, n.fromPat = re, strings.Split(to, "*"), from
	}
	return n, nil
}

func compile(p string) (*regexp.Regexp, error) {
	db, coll, ok := strings.Cut(p, ".")
	if !ok || db == "" || coll == "" {
		return nil, fmt.Errorf("write db.collection (with * as a wildcard)")
	}
	parts := strings.Split(p, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.Compile("^" + strings.Join(parts, "(.*?)") + "$")
}

// Map returns the target namespace of ns, or false when ns is not restored.
// System namespaces (see layout.Skipped) are never restored by replay.
func (n *Namespaces) Map(ns string) (string, bool) {
	db, coll, ok := strings.Cut(ns, ".")
	if !ok || layout.Skipped(db, coll, false) {
		return "", false
	}
	if len(n.include) > 0 {
		found := false
		for _, re := range n.include {
			if re.MatchString(ns) {
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	if n.from == nil {
		return ns, true
	}
	m := n.from.FindStringSubmatch(ns)
	if m == nil {
		return ns, true
	}
	var b strings.Builder
	for i, lit := range n.to {
		b.WriteString(lit)
		if i+1 < len(m) && i < len(n.to)-1 {
			b.WriteString(m[i+1])
		}
	}
	return b.String(), true
}

// Renames reports whether ns matches the --ns-from pattern.
func (n *Namespaces) Renames(ns string) bool {
	return n.from != nil && n.from.MatchString(ns)
}

// check refuses a selection that does not do what was asked of it: no
// namespace of the backup included, or an --ns-from that renames none of
// the included ones (everything would go back over its original). held
// are the namespaces the backup holds, selected those Map accepts.
func (n *Namespaces) check(id string, held, selected []string) error {
	holds := fmt.Sprintf("backup %s holds %s", id, listNames(held))
	if len(selected) == 0 {
		what := "the namespace filter"
		if len(n.patterns) > 0 {
			what = "--ns-include " + quoteAll(n.patterns)
		}
		return fault.Usage(fmt.Sprintf("%s matches no collection: %s; nothing was restored", what, holds))
	}
	if n.from == nil || slices.ContainsFunc(selected, n.Renames) {
		return nil
	}
	return fault.Usage(fmt.Sprintf("--ns-from %q matches no restored namespace, so nothing would be renamed and every collection would go back over its original: %s; nothing was restored, check the pattern", n.fromPat, holds))
}

func quoteAll(ps []string) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = strconv.Quote(p)
	}
	return strings.Join(q, ", ")
}

// listNames lists namespaces for a message, the first 20 of them.
func listNames(names []string) string {
	if len(names) == 0 {
		return "no collection"
	}
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(" and %d more", len(names)-20)
	}
	return strings.Join(names, ", ")
}

// MapDB maps a whole database (for dropDatabase): the database of the
// mapping of "db.*"-matching namespaces; false if it changes per collection.
func (n *Namespaces) MapDB(db string) (string, bool) {
	probe := db + ".\x00probe"
	target, ok := n.Map(probe)
	if !ok {
		return "", false
	}
	tdb, rest, _ := strings.Cut(target, ".")
	return tdb, rest == "\x00probe"
}
