package quality

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page (inline
// CSS, no script, no external resource), printable, breaches first.
func WriteHTML(out io.Writer, r *Report) error {
	if err := page.Execute(out, r); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

var page = template.Must(template.New("quality").Funcs(template.FuncMap{
	"pct":   pct,
	"value": value,
	"join":  strings.Join,
	"secs":  func(f float64) string { return fmt.Sprintf("%.3f s", f) },
	"limits": func(l Limits) string {
		return l.text()
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Quality of {{.Dataset}}</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 17pt; margin-bottom: 0.2em; }
h2 { font-size: 13pt; margin-top: 1.6em; border-bottom: 1px solid #999; padding-bottom: 0.1em; }
h3 { font-size: 11pt; margin: 1.2em 0 0.3em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
th { background: #e8ecf4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.breach { background: #fdecea; border-left: 0.4em solid #c62828; padding: 0.4em 0.8em; }
.breach li { margin: 0.2em 0; }
.ok { background: #e8f5e9; border-left: 0.4em solid #2e7d32; padding: 0.4em 0.8em; }
tr.bad td { background: #fdecea; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } table { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>Quality of the {{.Dataset}} dataset</h1>
<p class="meta">Database {{.Database}}, measured {{.GeneratedAt.Format "2006-01-02 15:04:05 UTC"}} by <code>citadel quality {{.Dataset}}</code>.<br>
Thresholds: {{limits .Thresholds}}.</p>
{{if .Breaches}}<div class="breach"><strong>{{len .Breaches}} breach{{if gt (len .Breaches) 1}}es{{end}}</strong>
<ul>{{range .Breaches}}<li><strong>{{.Where}}</strong> ({{.Check}}): {{.Message}}</li>{{end}}</ul></div>
{{else}}<div class="ok"><strong>No breach</strong>: every figure is within its threshold.</div>{{end}}
<h2>Collections</h2>
<table>
<tr><th>Collection</th><th>Documents</th><th>Rejected</th><th>Reject rate</th><th>Duplicates by natural key</th><th>Oldest</th><th>Newest</th><th>Last load</th></tr>
{{range .Collections}}{{if .Loaded}}<tr><td>{{.Name}}</td><td class="num">{{.Documents}}</td><td class="num">{{.Rejects}}</td><td class="num">{{pct .RejectRate}}</td>
<td class="num">{{.Duplicates}}{{if .Key}} ({{join .Key ", "}}){{end}}</td><td>{{value .Oldest}}</td><td>{{value .Newest}}</td><td>{{if .LastLoad}}{{value .LastLoad}}{{else}}-{{end}}</td></tr>
{{else}}<tr><td>{{.Name}}</td><td colspan="7">not loaded</td></tr>{{end}}{{end}}
</table>
{{range .Collections}}{{if .Loaded}}
<h3>{{.Name}}</h3>
{{if .Required}}<table>
<tr><th>Required field</th><th>Filled</th><th>Fill rate</th></tr>
{{range .Required}}<tr><td>{{.Field}}</td><td class="num">{{.Documents}}</td><td class="num">{{pct .Rate}}</td></tr>
{{end}}</table>{{end}}
{{if .Reasons}}<table>
<tr><th>Reject reason</th><th>Records</th></tr>
{{range .Reasons}}<tr><td>{{.Reason}}</td><td class="num">{{.Count}}</td></tr>
{{end}}</table>{{end}}
{{end}}{{end}}
<h2>Canned questions</h2>
<p>Each question of <code>citadel report {{.Dataset}}</code>, run {{.Runs}} times in a row.</p>
<table>
<tr><th>Question</th><th>What it answers</th><th>p50</th><th>p95</th><th>Rows</th></tr>
{{range .Questions}}{{if .Error}}<tr class="bad"><td>{{.Name}}</td><td>{{.Question}}</td><td colspan="3">failed: {{.Error}}</td></tr>
{{else}}<tr><td>{{.Name}}</td><td>{{.Question}}</td><td class="num">{{secs .P50Seconds}}</td><td class="num">{{secs .P95Seconds}}</td><td class="num">{{.Rows}}</td></tr>
{{end}}{{end}}</table>
</body>
</html>
`))
