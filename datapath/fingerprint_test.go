package datapath

import (
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// Fingerprints are stored in pinned service maps: a value computed by an earlier release
// must still match, or a restarted agent would rewrite every Maglev row.
func TestFingerprintStable(t *testing.T) {
	var cand []maglev.Backend
	for i := range 5 {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		cand = append(cand, maglev.Backend{Addr: netip.AddrPortFrom(a, 8080), Protocol: 6})
	}
	ids := []uint32{1, 2, 3, 4, 5}
	if got := fingerprint(251, cand, ids); got != 0x438154e40f6ae9a5 {
		t.Errorf("fingerprint = %#x, want %#x", got, uint64(0x438154e40f6ae9a5))
	}
	// Order does not matter; M, a backend or its ID does.
	rev := []maglev.Backend{cand[4], cand[3], cand[2], cand[1], cand[0]}
	if fingerprint(251, rev, []uint32{5, 4, 3, 2, 1}) != fingerprint(251, cand, ids) {
		t.Error("fingerprint depends on the order")
	}
	if fingerprint(509, cand, ids) == fingerprint(251, cand, ids) || fingerprint(251, cand, []uint32{1, 2, 3, 4, 6}) == fingerprint(251, cand, ids) {
		t.Error("fingerprint ignores M or an ID")
	}
	if fingerprint(251, nil, nil) != 0 {
		t.Error("no candidates: want 0")
	}
}
