package backup

import (
	"testing"
	"time"

	"github.com/noscites/citadel/config"
)

// TestPolicyFromConfig: the counts, the PITR window and the time zone of a
// backup configuration all reach the retention policy prune uses.
func TestPolicyFromConfig(t *testing.T) {
	b := &config.Backup{Name: "nightly", Timezone: "Europe/Paris",
		Retention: config.Retention{Daily: 7, Weekly: 4, Monthly: 12},
		PITR:      config.PITR{Enabled: true, Window: config.Duration(168 * time.Hour)}}
	pol, err := Policy(b)
	if err != nil {
		t.Fatal(err)
	}
	if pol.Daily != 7 || pol.Weekly != 4 || pol.Monthly != 12 || pol.PITRWindow != 168*time.Hour || pol.Location.String() != "Europe/Paris" {
		t.Fatalf("policy %+v", pol)
	}
	b.Timezone = "Mars/Olympus"
	if _, err := Policy(b); err == nil {
		t.Fatal("an unknown time zone was accepted")
	}
}
