package config

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// validate checks the whole configuration, recording every problem.
func validate(c *Config, ps *problems) {
	v := &validator{c: c, ps: ps}
	v.sites()
	v.mongodb()
	v.quality()
	for i := range c.ReplicaSets {
		v.replicaSet(i)
	}
	v.unique("replica_sets", len(c.ReplicaSets), func(i int) string { return c.ReplicaSets[i].Name })
	v.hostsAcrossSets()
	for i := range c.Storages {
		v.storage(i)
	}
	v.unique("storages", len(c.Storages), func(i int) string { return c.Storages[i].Name })
	for i := range c.Backups {
		v.backup(i)
	}
	v.unique("backups", len(c.Backups), func(i int) string { return c.Backups[i].Name })
	for i := range c.Drills {
		v.drill(i)
	}
	v.unique("drills", len(c.Drills), func(i int) string { return c.Drills[i].Name })
	v.coordinator()
	v.ingest()
	v.audit()
}

type validator struct {
	c  *Config
	ps *problems
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// name checks an identifier that appears in commands and object keys.
func (v *validator) name(path, value, what string) {
	switch {
	case value == "":
		v.ps.at(path, "", "%s name is missing", what)
	case !namePattern.MatchString(value):
		v.ps.at(path, "use letters, digits, '-', '_' or '.', at most 63 characters", "invalid %s name %q", what, value)
	}
}

// unique reports a name used twice in a list.
func (v *validator) unique(list string, n int, name func(int) string) {
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		nm := name(i)
		if nm == "" {
			continue
		}
		if first, dup := seen[nm]; dup {
			v.ps.at(fmt.Sprintf("%s[%d].name", list, i), "give each entry its own name",
				"duplicate name %q (first used at %s[%d])", nm, list, first)
			continue
		}
		seen[nm] = i
	}
}

func (v *validator) siteNames() []string {
	out := make([]string, 0, len(v.c.Sites))
	for _, s := range v.c.Sites {
		out = append(out, s.Name)
	}
	return out
}

// siteRef checks that a site name resolves.
func (v *validator) siteRef(path, site string, required bool) {
	if site == "" {
		if required {
			v.ps.at(path, "name one of the sites: "+strings.Join(v.siteNames(), ", "), "site is missing")
		}
		return
	}
	if v.c.Site(site) == nil {
		hint := "declare it under sites or use one of: " + strings.Join(v.siteNames(), ", ")
		if best := closest(site, v.siteNames()); best != "" {
			hint = fmt.Sprintf("did you mean %q? ", best) + hint
		}
		v.ps.at(path, hint, "unknown site %q", site)
	}
}

func (v *validator) sites() {
	if len(v.c.Sites) == 0 {
		v.ps.at("sites", "declare at least one site, for example paris and lyon", "no sites declared")
	}
	for i, s := range v.c.Sites {
		v.name(fmt.Sprintf("sites[%d].name", i), s.Name, "site")
	}
	v.unique("sites", len(v.c.Sites), func(i int) string { return v.c.Sites[i].Name })
}

// secret checks a pair of secret references (env name, file path).
func (v *validator) secret(path, prefix, env, file string, required bool) {
	envPath, filePath := join(path, prefix+"_env"), join(path, prefix+"_file")
	switch {
	case env != "" && file != "":
		v.ps.at(filePath, "keep one of them", "both %s_env and %s_file are set", prefix, prefix)
	case env != "" && !looksLikeEnvName(env):
		v.ps.at(envPath, "this field takes the NAME of an environment variable (like CITADEL_MONGO_PASSWORD) that holds the secret; never the secret itself",
			"%q is not an environment variable name; it looks like a secret written in clear", redact(env))
	case file != "" && !filepath.IsAbs(file):
		v.ps.at(filePath, "write an absolute path so the secret does not depend on the working directory", "relative path %q", file)
	case env == "" && file == "" && required:
		v.ps.at(path, fmt.Sprintf("set %s_env (an environment variable name) or %s_file (a path)", prefix, prefix), "%s is missing", prefix)
	}
}

// redact keeps only the first two characters of something that may be a secret.
func redact(s string) string {
	if len(s) <= 2 {
		return "**"
	}
	return s[:2] + strings.Repeat("*", min(len(s)-2, 8))
}

func (v *validator) tls(path string, t *TLS) {
	if t == nil {
		return
	}
	for _, f := range []struct{ key, val string }{{"ca_file", t.CAFile}, {"cert_key_file", t.CertKeyFile}} {
		if f.val != "" && !t.Enabled {
			v.ps.at(join(path, f.key), "set enabled: true or remove it", "%s given but TLS is not enabled", f.key)
		}
	}
	if t.InsecureSkipVerify {
		v.ps.warnAt(join(path, "insecure_skip_verify"), "use ca_file instead", "certificate verification is disabled")
	}
}

var mechanisms = map[string]bool{"": true, "SCRAM-SHA-256": true, "SCRAM-SHA-1": true, "MONGODB-X509": true}

func (v *validator) mongodb() {
	m := v.c.MongoDB
	if a := m.Auth; a != nil {
		if !mechanisms[a.Mechanism] {
			v.ps.at("mongodb.auth.mechanism", "use SCRAM-SHA-256, SCRAM-SHA-1 or MONGODB-X509", "unknown mechanism %q", a.Mechanism)
		}
		x509 := a.Mechanism == "MONGODB-X509"
		if a.Username == "" && !x509 {
			v.ps.at("mongodb.auth.username", "", "username is missing")
		}
		v.secret("mongodb.auth", "password", a.PasswordEnv, a.PasswordFile, !x509)
		if x509 && (m.TLS == nil || m.TLS.CertKeyFile == "") {
			v.ps.at("mongodb.auth.mechanism", "set mongodb.tls.cert_key_file to the client certificate", "MONGODB-X509 needs a client certificate")
		}
	}
	v.tls("mongodb.tls", m.TLS)
}

// hostPort checks "host:port" and returns the normalised form.
func (v *validator) hostPort(path, value, what string) string {
	if value == "" {
		v.ps.at(path, "", "%s is missing", what)
		return ""
	}
	host, port, err := net.SplitHostPort(value)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
		v.ps.at(path, "write host:port, for example mongo-paris-1.example.org:27017", "invalid %s %q", what, value)
		return ""
	}
	return strings.ToLower(host) + ":" + strconv.Itoa(n)
}

func (v *validator) ingest() {
	in := v.c.Ingest
	if in == nil {
		return
	}
	if in.ReplicaSet == "" {
		v.ps.at("ingest.replica_set", "", "replica_set is missing")
	} else if v.c.ReplicaSet(in.ReplicaSet) == nil {
		v.ps.at("ingest.replica_set", "declare it under replica_sets", "unknown replica set %q", in.ReplicaSet)
	}
	if in.Database == "" {
		v.ps.at("ingest.database", "", "database is missing")
	} else if strings.ContainsAny(in.Database, "/\\. \"$") || len(in.Database) > 63 {
		v.ps.at("ingest.database", "MongoDB database names cannot contain / \\ . space \" or $", "invalid database name %q", in.Database)
	}
	if in.MaxErrorRate < 0 || in.MaxErrorRate > 1 {
		v.ps.at("ingest.max_error_rate", "write a fraction between 0 and 1, for example 0.01", "max_error_rate %v out of range", in.MaxErrorRate)
	}
	v.secret("ingest", "pseudonym_key", in.PseudonymKeyEnv, in.PseudonymKeyFile, false)
	if in.BatchSize < 0 || in.Workers < 0 {
		v.ps.at("ingest", "", "batch_size and workers cannot be negative")
	}
	v.weatherStations()
}

func (v *validator) audit() {
	a := v.c.Audit
	switch {
	case a == nil:
	case a.Path == "":
		v.ps.at("audit.path", "name the file that receives one JSON line per action, for example /var/log/citadel/audit.jsonl", "path is missing")
	case !filepath.IsAbs(a.Path):
		v.ps.at("audit.path", "write an absolute path so every command appends to the same file, wherever it runs from", "relative path %q", a.Path)
	case strings.HasSuffix(a.Path, "/"):
		v.ps.at("audit.path", "name a file, not a directory", "path %q ends with '/'", a.Path)
	}
}
