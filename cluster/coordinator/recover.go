package coordinator

import (
	"fmt"
	"strings"

	"github.com/noscites/citadel/cluster/coordinator/store"
)

// Recover rebuilds a working group from the survivors of a site loss
// (`citadel coordinator recover --survivors ID,...`). Run it on each
// survivor while its `citadel server` is stopped, with the same list, then
// start the survivors: they form a group of exactly those nodes, keep the
// replicated state, and elect a leader among themselves. The survivors'
// raft addresses come from the configured nodes.
func Recover(o Options, survivors []string) error {
	o = o.withDefaults()
	known := map[string]store.NodeInfo{}
	for _, p := range o.peers() {
		known[p.ID] = p
	}
	var list []store.NodeInfo
	for _, id := range survivors {
		p, ok := known[strings.TrimSpace(id)]
		if !ok {
			return fmt.Errorf("recover coordinator: survivor %q is not among coordinator.nodes", id)
		}
		list = append(list, p)
	}
	return store.Recover(o.storeConfig(nil), list)
}
