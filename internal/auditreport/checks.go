package auditreport

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/internal/audit"
	"github.com/noscites/citadel/internal/mongoconn"
)

// transport checks how citadel itself connects (the config's mongodb).
func transport(mc config.MongoDB) []Finding {
	var out []Finding
	if mc.Auth == nil || mc.Auth.Username == "" && mc.Auth.Mechanism != "MONGODB-X509" {
		out = append(out, Finding{Severity: High, Check: "authentication", Target: "citadel", Title: "citadel connects without credentials",
			Evidence: "the config's mongodb.auth names no user",
			Fix:      "create a user for citadel and set mongodb.auth (username, password_env or password_file) in the config"})
	}
	switch {
	case mc.TLS == nil || !mc.TLS.Enabled:
		out = append(out, Finding{Severity: High, Check: "tls", Target: "citadel", Title: "citadel connects without TLS",
			Evidence: "the config's mongodb.tls is not enabled",
			Fix:      "set mongodb.tls.enabled: true and mongodb.tls.ca_file to the CA of the members' certificates"})
	case mc.TLS.InsecureSkipVerify:
		out = append(out, Finding{Severity: Medium, Check: "tls", Target: "citadel", Title: "citadel does not verify the members' certificates",
			Evidence: "mongodb.tls.insecure_skip_verify is true", Fix: "remove insecure_skip_verify and set mongodb.tls.ca_file"})
	}
	return out
}

// quorum says, from the config's votes, whether losing one site leaves a
// set able to elect a primary (a witness at a third site), or needs the
// operator's forced failover.
func quorum(rs config.ReplicaSet) []Finding {
	var out []Finding
	for _, loss := range rs.Quorum() {
		if loss.Votes == 0 || loss.KeepsPrimary {
			continue
		}
		out = append(out, Finding{Severity: Medium, Check: "quorum", Target: rs.Name + "@" + loss.Site,
			Title:    "losing site " + loss.Site + " leaves no primary",
			Evidence: fmt.Sprintf("site %s holds %d votes; without it %d remain, %d are needed", loss.Site, loss.Votes, loss.Remaining, loss.Majority),
			Fix:      "add an arbiter (and a coordinator voter) at a third site; until then rehearse citadel cluster failover --force (docs/site-loss.md)"})
	}
	if len(out) == 0 && len(rs.Members) > 0 {
		out = append(out, Finding{Severity: Info, Check: "quorum", Target: rs.Name, Title: "losing any one site leaves a primary",
			Evidence: "every site's votes can be lost with a majority left and an electable member elsewhere"})
	}
	return out
}

// member connects to one member in plain text and without credentials,
// as anyone on the network could: an answer to hello means TLS is not
// required, an answer to listDatabases that authentication is not.
func member(ctx context.Context, mc config.MongoDB, set, host string) []Finding {
	ctx, cancel := context.WithTimeout(ctx, memberTimeout)
	defer cancel()
	target := set + "/" + host
	client, err := mongoconn.ConnectMember(config.MongoDB{ConnectTimeout: mc.ConnectTimeout}, host, "audit-report")
	if err == nil {
		defer client.Disconnect(context.Background())
		err = client.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Err()
	}
	if err != nil {
		if mc.TLS != nil && mc.TLS.Enabled {
			return nil // a plain-text client gets no answer: TLS is required
		}
		return []Finding{{Severity: Medium, Check: "reachability", Target: target, Title: "member did not answer",
			Evidence: oneLine(err.Error()), Fix: "check that the member runs and that this machine may reach it, then audit again"}}
	}
	out := []Finding{{Severity: High, Check: "tls", Target: target, Title: "member answers without TLS",
		Evidence: "a plain-text hello was answered",
		Fix:      "set net.tls.mode: requireTLS (with certificateKeyFile and CAFile) in the member's mongod.conf and restart it"}}
	err = client.Database("admin").RunCommand(ctx, bson.D{{Key: "listDatabases", Value: 1}, {Key: "nameOnly", Value: true}}).Err()
	var ce mongo.CommandError
	switch {
	case err == nil:
		out = append(out, Finding{Severity: High, Check: "authentication", Target: target, Title: "member does not require authentication",
			Evidence: "listDatabases was answered without credentials",
			Fix:      "set security.authorization: enabled (and a keyFile or x509 membership) in the member's mongod.conf and restart it"})
	case errors.As(err, &ce) && (ce.Code == 13 || ce.Code == 18):
		// Unauthorized or AuthenticationFailed: authentication is required.
	default:
		out = append(out, Finding{Severity: Medium, Check: "authentication", Target: target, Title: "could not tell whether authentication is required",
			Evidence: "listDatabases without credentials: " + oneLine(err.Error()), Fix: "check the member's security.authorization setting by hand"})
	}
	return out
}

// personalCollection is where SuperSmartMarket keeps names and emails;
// the loader pseudonymises them unless run with --keep-personal-data.
const personalCollection = "sm_employees"

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// personalData reads the SuperSmartMarket employees (a few dozen
// documents): a name or an email in clear is a critical finding.
func personalData(ctx context.Context, db *mongo.Database) ([]Finding, error) {
	names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: personalCollection}})
	if err != nil {
		return nil, fmt.Errorf("list collections of %s: %w", db.Name(), err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	cur, err := db.Collection(personalCollection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", db.Name(), personalCollection, err)
	}
	defer cur.Close(ctx)
	var docs, emails, clear int
	for cur.Next(ctx) {
		docs++
		if mail, _ := cur.Current.Lookup("mail").StringValueOK(); emailRE.MatchString(mail) {
			emails++
		}
		for _, f := range []string{"employe", "prenom", "nom"} {
			if v, ok := cur.Current.Lookup(f).StringValueOK(); ok && v != "" && !strings.HasPrefix(v, "pseudo:") {
				clear++
				break
			}
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("read %s.%s: %w", db.Name(), personalCollection, err)
	}
	if emails == 0 && clear == 0 {
		return nil, nil
	}
	return []Finding{{Severity: Critical, Check: "personal_data", Target: db.Name() + "." + personalCollection,
		Title:    "personal data in clear",
		Evidence: fmt.Sprintf("%d of %d employees have an email address in clear, %d a name in clear", emails, docs, clear),
		Fix:      "reload without --keep-personal-data: citadel ingest supermarket FILE.xlsx --logs FILE.xlsx (names and emails are then keyed pseudonyms)"}}, nil
}

// auditTrailEntries is how many of the trail's last entries the report shows.
const auditTrailEntries = 5

// auditTrail shows the audit trail's last entries (internal/audit's
// reader), or says there is none; a line that is not a record is a
// medium finding (a damaged or edited trail).
func auditTrail(a *config.Audit) []Finding {
	const check = "audit_trail"
	if a == nil || a.Path == "" {
		return []Finding{{Severity: Medium, Check: check, Target: "config", Title: "no audit trail file",
			Evidence: "the config has no audit.path: state-changing actions are only logged",
			Fix:      "set audit.path (for example /var/log/citadel/audit.jsonl) in the config"}}
	}
	entries, total, err := audit.ReadLastFile(a.Path, auditTrailEntries)
	if err != nil && len(entries) == 0 {
		return []Finding{{Severity: Medium, Check: check, Target: a.Path, Title: "audit trail unreadable",
			Evidence: oneLine(err.Error()), Fix: "check audit.path and the file's permissions (citadel creates it with mode 0600 on its first action)"}}
	}
	var lines []string
	bad := 0
	for _, e := range entries {
		if e.Err != nil {
			bad++
			lines = append(lines, fmt.Sprintf("line %d: %s (%v)", e.Line, truncate(e.Raw, 200), e.Err))
			continue
		}
		r := e.Record
		line := fmt.Sprintf("%s %s %s %s: %s", r.Time.UTC().Format("2006-01-02 15:04:05Z"), r.Who, r.Action, r.Target, r.Outcome)
		if r.Error != "" {
			line += " (" + oneLine(r.Error) + ")"
		}
		lines = append(lines, line)
	}
	evidence := strings.Join(lines, "\n")
	if err != nil {
		evidence += "\n(read stopped: " + err.Error() + ")"
	}
	if total == 0 {
		evidence = "the trail is empty"
	}
	if bad > 0 {
		return []Finding{{Severity: Medium, Check: check, Target: a.Path, Title: fmt.Sprintf("audit trail: %d of its last %d lines are not records", bad, len(entries)),
			Evidence: evidence, Fix: "find out who or what wrote these lines: only citadel appends to the trail (mode 0600)"}}
	}
	return []Finding{{Severity: Info, Check: check, Target: a.Path, Title: fmt.Sprintf("audit trail: last %d of %d entries", len(entries), total), Evidence: evidence}}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
