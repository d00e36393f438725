// Package loopback picks loopback addresses for services that must be
// named before they start (a replica-set member's host is in its config
// before its listener exists; MinIO takes --address).
//
// The naive way, bind 127.0.0.1:0 and close, hands back a port from the
// kernel's ephemeral range, the very range the kernel then gives to every
// other bind(":0") and to the local side of every outgoing connection.
// Between the close and the service's own bind, a FerretDB started on
// ":0" or a client dialling MinIO can take it: CI saw "bind: address
// already in use" for a sandbox member that way. A port below the
// ephemeral range is never handed out implicitly, so only another
// explicit pick can race for it; Free tries it by binding, and a random
// pick among ~20,000 ports makes two pickers choosing the same one in the
// same instant improbable.
package loopback

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// lowest is the bottom of the range Free picks from: below it sit the
// ports other local services are configured with (ssh, databases, web).
const lowest = 10000

// rangeFile is where Linux keeps its ephemeral port range.
const rangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// tries bounds the picks before Free falls back to the kernel's choice.
const tries = 64

// Free returns a 127.0.0.1 address whose port was free a moment ago and
// lies outside the kernel's ephemeral range when that range is known
// and leaves room below it.
func Free() (string, error) {
	if low, ok := ephemeralLow(rangeFile); ok && low-lowest >= 1000 {
		for i := 0; i < tries; i++ {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(lowest+rand.IntN(low-lowest)))
			if tryBind(addr) {
				return addr, nil
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// tryBind reports whether addr can be bound now (and releases it).
func tryBind(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// ephemeralLow reads the first port of the ephemeral range from path.
func ephemeralLow(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return parseRange(string(b))
}

// parseRange reads "low<whitespace>high" as the kernel writes it.
func parseRange(s string) (int, bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, false
	}
	low, err1 := strconv.Atoi(f[0])
	high, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || low < 1 || high > 65535 || low > high {
		return 0, false
	}
	return low, true
}
