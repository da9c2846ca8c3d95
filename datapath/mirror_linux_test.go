package datapath

import (
	"maps"
	"slices"
	"testing"
)

// checkMirror fails t unless d's mirror equals what a fresh read of the maps gives: the
// invariant every write operation must keep.
func checkMirror(t *testing.T, d *Datapath) {
	t.Helper()
	fresh, err := d.readState()
	if err != nil {
		t.Fatal(err)
	}
	st := d.st
	if len(st.svcs) != len(fresh.svcs) {
		t.Fatalf("mirror has %d services, maps %d", len(st.svcs), len(fresh.svcs))
	}
	for k, rec := range fresh.svcs {
		got, ok := st.svcs[k]
		if !ok || got.val != rec.val {
			t.Fatalf("service %v: mirror %+v, maps %+v", d.addrs.frontend(svcKeyFrom64(k)), got, rec)
		}
		a, b := slices.Sorted(slices.Values(got.ids)), slices.Sorted(slices.Values(rec.ids))
		if !slices.Equal(a, b) {
			t.Fatalf("service %v: mirror backend IDs %v, maps %v", d.addrs.frontend(svcKeyFrom64(k)), a, b)
		}
	}
	if !maps.Equal(st.bes, fresh.bes) {
		t.Fatalf("backend index differs: mirror %d entries, maps %d", len(st.bes), len(fresh.bes))
	}
	if !slices.Equal(st.beVals, fresh.beVals) || !slices.Equal(st.byID, fresh.byID) {
		t.Fatal("backend slots or service IDs differ between mirror and maps")
	}
	if !slices.Equal(st.rn, fresh.rn) || len(fresh.rnOrphans) != 0 {
		t.Fatalf("reverse NAT state differs (orphans in maps: %d)", len(fresh.rnOrphans))
	}
}
