package auditreport

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/noscites/citadel/internal/atomicfile"
)

// WriteText prints the findings for a terminal, most severe first.
func WriteText(out io.Writer, r *Report) error {
	fmt.Fprintf(out, "audit of %s at %s: %d findings, %d critical\n\n", r.Config, r.GeneratedAt.Format("2006-01-02 15:04:05 UTC"), len(r.Findings), r.Critical())
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tCHECK\tTARGET\tFINDING")
	for _, f := range r.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.ToUpper(f.Severity.String()), f.Check, f.Target, f.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range r.Findings {
		fmt.Fprintf(out, "\n%s %s (%s)\n  evidence: %s\n", strings.ToUpper(f.Severity.String()), f.Title, f.Target,
			strings.ReplaceAll(f.Evidence, "\n", "\n            "))
		if f.Fix != "" {
			fmt.Fprintf(out, "  fix: %s\n", f.Fix)
		}
	}
	if len(r.NotChecked) == 0 {
		return nil
	}
	_, err := fmt.Fprintf(out, "\nnot checked in this run: %s\n", strings.Join(r.NotChecked, "; "))
	return err
}

// WriteHTMLFile writes the report as one printable HTML page (inline
// CSS, no script, no external resource) to path, through a temporary
// file renamed into place.
func WriteHTMLFile(r *Report, path string) error {
	return atomicfile.Write(path, ".citadel-audit-*.html", func(w io.Writer) error { return page.Execute(w, r) })
}

var page = template.Must(template.New("audit").Funcs(template.FuncMap{
	"upper": func(s Severity) string { return strings.ToUpper(s.String()) },
	"sev":   func(s Severity) string { return s.String() },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>citadel audit report</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 17pt; margin-bottom: 0.2em; }
h2 { font-size: 13pt; margin-top: 1.6em; border-bottom: 1px solid #999; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #e8ecf4; }
td.sev { font-weight: bold; white-space: nowrap; }
tr.critical td.sev { background: #c62828; color: #fff; }
tr.high td.sev { background: #ef6c00; color: #fff; }
tr.medium td.sev { background: #f9a825; }
tr.low td.sev, tr.info td.sev { background: #e0e0e0; }
pre { white-space: pre-wrap; margin: 0; font-size: 9pt; }
@media print { body { margin: 0; max-width: none; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>Security and lifecycle audit</h1>
<p class="meta">Config {{.Config}}, audited {{.GeneratedAt.Format "2006-01-02 15:04:05 UTC"}} by <code>citadel audit-report</code>: {{len .Findings}} findings, {{.Critical}} critical.</p>
<table>
<tr><th>Severity</th><th>Finding</th><th>Evidence</th><th>Fix</th></tr>
{{range .Findings}}<tr class="{{sev .Severity}}"><td class="sev">{{upper .Severity}}</td><td><strong>{{.Title}}</strong><br>{{.Check}}: {{.Target}}</td><td><pre>{{.Evidence}}</pre></td><td>{{.Fix}}</td></tr>
{{end}}</table>
{{if .NotChecked}}<h2>Not checked in this run</h2>
<ul>{{range .NotChecked}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body>
</html>
`))
