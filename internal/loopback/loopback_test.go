package loopback

import (
	"net"
	"strconv"
	"testing"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		low  int
		want bool
	}{
		{"32768\t60999\n", 32768, true},
		{"1024 65535", 1024, true},
		{"", 0, false},
		{"32768", 0, false},
		{"a b", 0, false},
		{"60999 32768", 0, false},
		{"0 100", 0, false},
		{"1 70000", 0, false},
		{"1 2 3", 0, false},
	} {
		low, ok := parseRange(tc.in)
		if ok != tc.want || (ok && low != tc.low) {
			t.Errorf("parseRange(%q) = %d, %v; want %d, %v", tc.in, low, ok, tc.low, tc.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	f.Add("32768\t60999\n")
	f.Add("1 1")
	f.Fuzz(func(t *testing.T, s string) {
		low, ok := parseRange(s)
		if ok && (low < 1 || low > 65535) {
			t.Fatalf("parseRange(%q) = %d: out of port range", s, low)
		}
	})
}

func TestFreeIsBindableAndBelowTheEphemeralRange(t *testing.T) {
	low, known := ephemeralLow(rangeFile)
	for i := 0; i < 20; i++ {
		addr, err := Free()
		if err != nil {
			t.Fatal(err)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("Free() = %q: want 127.0.0.1:port", addr)
		}
		p, _ := strconv.Atoi(port)
		if known && low-lowest >= 1000 && (p < lowest || p >= low) {
			t.Errorf("Free() = %q: want a port in [%d, %d)", addr, lowest, low)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("bind %s: %v", addr, err)
		}
		_ = l.Close()
	}
}

func TestFreeSkipsABoundPort(t *testing.T) {
	// A bound port is never returned: Free tries each pick by binding.
	addr, err := Free()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if tryBind(addr) {
		t.Fatalf("tryBind(%s) succeeded while it is bound", addr)
	}
}
