package main

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// stats summarises durations.
type stats struct {
	n                   int
	mean, p50, p99, max time.Duration
}

func statsOf(ds []time.Duration) stats {
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return stats{n: len(s), mean: sum / time.Duration(len(s)), p50: s[len(s)/2], p99: s[len(s)*99/100], max: s[len(s)-1]}
}

func (s stats) String() string {
	return fmt.Sprintf("n=%d mean=%v p50=%v p99=%v max=%v", s.n, s.mean, s.p50, s.p99, s.max)
}

// echoRTT sends n one-byte messages over one TCP connection from the pod to dst:7 and
// returns the round trip time of each.
func (l *lab) echoRTT(t testing.TB, dst netip.Addr, n int) []time.Duration {
	t.Helper()
	c, err := l.dial(netip.AddrPortFrom(dst, 7), 2*time.Second)
	if err != nil {
		t.Fatalf("dial %v: %v", dst, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	buf := []byte{'x'}
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, time.Since(start))
	}
	return out
}

// connectTimes makes n whoami exchanges (connect, one line, close) from the pod with dst
// and returns the time each took.
func (l *lab) connectTimes(t testing.TB, dst netip.Addr, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := l.whoami(dst, 2*time.Second); err != nil {
			t.Fatalf("whoami %v: %v", dst, err)
		}
		out = append(out, time.Since(start))
	}
	return out
}
