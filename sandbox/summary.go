package sandbox

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/noscites/citadel/backup/jobs"
	"github.com/noscites/citadel/drill"
	"github.com/noscites/citadel/internal/units"
)

// Summary is what the sandbox did and where everything runs.
type Summary struct {
	Dir, Config string
	// Kept: Dir was given (--dir) and stays after the sandbox stops.
	Kept bool
	// Command starts the suggested commands (Options.Command).
	Command string
	// Elapsed is the time from the start to the summary.
	Elapsed    time.Duration
	ApplySteps int
	Members    []MemberInfo
	Storages   []StorageInfo
	Datasets   []DatasetLoad
	Backup     jobs.Summary
	// BackupStorage and CopiedTo are configured storage names.
	BackupStorage string
	CopiedTo      []string
	Drill         *drill.Report
	Switchover    *drill.SwitchoverReport
	// Coordinator is the node's API base URL; StatusPage the status
	// page's URL with the sandbox's token (it sets the page's cookie).
	Coordinator, StatusPage string
}

// MemberInfo is one simulated member.
type MemberInfo struct {
	Set, Name, Site, Host, Role string
}

// StorageInfo is one site's storage.
type StorageInfo struct {
	Name, Site, Where string
}

// describe fills the static part of the summary from the world.
func (w *world) describe(sum *Summary) {
	for _, m := range w.main {
		role := fmt.Sprintf("priority %v", m.priority)
		if m.hidden {
			role = "hidden backup member, no vote"
		}
		sum.Members = append(sum.Members, MemberInfo{Set: "main", Name: m.name, Site: m.site, Host: m.host, Role: role})
	}
	sum.Members = append(sum.Members, MemberInfo{Set: "scratch", Name: w.scratch.name, Site: w.scratch.site, Host: w.scratch.host, Role: "drill target"})
	for _, s := range w.storages {
		where := "directory " + s.path
		if s.endpoint != "" {
			where = "MinIO http://" + s.endpoint + " bucket citadel-backups"
		}
		sum.Storages = append(sum.Storages, StorageInfo{Name: s.name, Site: s.site, Where: where})
	}
}

// Print writes the summary for a person.
func (sum *Summary) Print(out io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	p("")
	p("citadel sandbox is running (reached in %s). The two sites are SIMULATED on this machine.", sum.Elapsed.Round(time.Second))
	p("")
	for _, site := range []string{"paris", "lyon"} {
		p("%s:", strings.ToUpper(site[:1])+site[1:])
		for _, m := range sum.Members {
			if m.Site == site {
				p("  %-8s %-3s %-16s %s", m.Set, m.Name, m.Host, m.Role)
			}
		}
		for _, s := range sum.Storages {
			if s.Site == site {
				p("  storage  %s: %s", s.Name, s.Where)
			}
		}
	}
	p("")
	var loads []string
	for _, d := range sum.Datasets {
		loads = append(loads, fmt.Sprintf("%s %d (%d rejected)", d.Dataset, d.Inserted, d.Rejected))
	}
	p("datasets loaded into main/%s: %s", Database, strings.Join(loads, ", "))
	b := sum.Backup
	p("backup   %s: %d collections, %d documents, %s stored in %s, copied to %s",
		b.ID, b.Collections, b.Documents, units.Bytes(b.StoredBytes), sum.BackupStorage, strings.Join(sum.CopiedTo, ", "))
	if d := sum.Drill; d != nil {
		verdict := "PASSED"
		if !d.Passed {
			verdict = "FAILED"
		}
		p("drill    %s %s: restored %s into the scratch set, %d documents verified; RTO %s (max %s), RPO %s (max %s)",
			d.ID, verdict, d.Backup, d.Documents, d.RTO.Round(10*time.Millisecond), d.MaxRTO, d.RPO.Round(10*time.Millisecond), d.MaxRPO)
	}
	if sw := sum.Switchover; sw != nil {
		var legs []string
		for _, l := range sw.Legs {
			legs = append(legs, fmt.Sprintf("%s→%s in %s (writes paused %s)", l.FromSite, l.ToSite, l.Took.Round(time.Millisecond), l.Unavailable.Round(time.Millisecond)))
		}
		p("switchover rehearsal: %s; %d writes acknowledged, %d lost", strings.Join(legs, ", "), sw.Acknowledged, sw.Lost)
	}
	p("")
	p("coordinator node %s: %s (status: %s/v1/status with the token in %s/secrets/coordinator-token)", NodeID, sum.Coordinator, sum.Coordinator, sum.Dir)
	p("status page: %s", sum.StatusPage)
	p("metrics:  %s/metrics", sum.Coordinator)
	p("")
	p("try, in another terminal:")
	for _, c := range []string{"cluster status", "backup list", "drill list", "coordinator status",
		"cluster switchover --rs main --to-site lyon", "restore latest --help"} {
		p("  %s --config %s %s", sum.Command, sum.Config, c)
	}
	p("")
	if sum.Kept {
		p("Ctrl-C stops the sandbox (exit 0); %s is kept.", sum.Dir)
	} else {
		p("Ctrl-C stops the sandbox and removes %s (exit 0).", sum.Dir)
	}
}
