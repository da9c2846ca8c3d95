package datapath

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// backendOf returns the backend of fe at addr as read back from the maps.
func backendOf(t *testing.T, d *Datapath, fe lb.Frontend, addr netip.AddrPort) lb.Backend {
	t.Helper()
	e, err := d.Service(fe)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range e.Backends {
		if b.Addr == addr {
			return b
		}
	}
	t.Fatalf("frontend %v: backend %v not in the maps (%v)", fe, addr, e.Backends)
	return lb.Backend{}
}

// TestResyncWritesOnlyTheChange changes one field of one backend of one service among
// many, in place in the caller's slice, and checks that exactly that change is written,
// that an identical resync writes nothing and fills no row, and that the mirror stays
// equal to the maps.
func TestResyncWritesOnlyTheChange(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 1000, MaxBackends: 4000})
	set := services(1000)
	if _, err := d.Sync(set); err != nil {
		t.Fatal(err)
	}
	noop := func(what string) {
		t.Helper()
		filled := d.rowsFilled.Load()
		st, err := d.Sync(set)
		if err != nil || st.Counts() != (SyncStats{}) {
			t.Fatalf("%s: identical resync wrote %+v, %v", what, st.Counts(), err)
		}
		if n := d.rowsFilled.Load() - filled; n != 0 {
			t.Fatalf("%s: identical resync filled %d Maglev rows", what, n)
		}
		checkMirror(t, d)
	}
	noop("first")
	for _, tc := range []struct {
		name   string
		svc, j int
		change func(b *lb.SelectedBackend)
		want   SyncStats
	}{
		// Terminating leaves the Maglev row: the row and the service's count change.
		{"state", 417, 0, func(b *lb.SelectedBackend) { b.State = lb.BackendTerminating },
			SyncStats{BackendsWritten: 1, MaglevWritten: 1, ServicesWritten: 1}},
		// The cluster ID is in the backend entry only.
		{"cluster", 418, 1, func(b *lb.SelectedBackend) { b.ClusterID = 77 },
			SyncStats{BackendsWritten: 1}},
		// A preferred backend alone fills the row.
		{"preferred", 419, 1, func(b *lb.SelectedBackend) { b.Preferred = true },
			SyncStats{MaglevWritten: 1, ServicesWritten: 1}},
		// Back to active: the row and count as before.
		{"state back", 417, 0, func(b *lb.SelectedBackend) { b.State = lb.BackendActive },
			SyncStats{BackendsWritten: 1, MaglevWritten: 1, ServicesWritten: 1}},
		// Another port is another backend.
		{"port", 420, 0, func(b *lb.SelectedBackend) { b.Addr = netip.AddrPortFrom(b.Addr.Addr(), 9999) },
			SyncStats{BackendsWritten: 1, BackendsDeleted: 1, RevNATWritten: 1, RevNATDeleted: 1, MaglevWritten: 1, ServicesWritten: 1}},
		// Remote and Zone are not stored: nothing to write.
		{"zone", 421, 0, func(b *lb.SelectedBackend) { b.Zone, b.Remote = "z9", true }, SyncStats{}},
	} {
		b := &set[tc.svc].Backends[tc.j]
		tc.change(b)
		st, err := d.Sync(set)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if st.Syscalls = 0; st.Counts() != tc.want {
			t.Errorf("%s: wrote %+v, want %+v", tc.name, st.Counts(), tc.want)
		}
		got := backendOf(t, d, set[tc.svc].Frontend, b.Addr)
		if got.State != b.State || got.ClusterID != b.ClusterID || got.Protocol != b.Protocol {
			t.Errorf("%s: maps hold %+v, want %+v", tc.name, got, b.Backend)
		}
		noop(tc.name)
	}
	e, err := d.Service(set[419].Frontend)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range e.Table {
		if a != set[419].Backends[1].Addr {
			t.Fatalf("preferred: slot %d goes to %v, want only %v", i, a, set[419].Backends[1].Addr)
		}
	}
}

// TestFailedSyncForgetsInputs checks that a Sync that fails, before or during its
// writes, leaves no input remembered as written: the next Sync validates and compares
// every service again.
func TestFailedSyncForgetsInputs(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 100, MaxBackends: 400})
	set := services(100)
	if _, err := d.Sync(set); err != nil {
		t.Fatal(err)
	}

	// Refused before any write: a changed service next to an invalid one.
	set[7].Backends[0].State = lb.BackendMaintenance
	bad := append([]Service(nil), set...)
	bad = append(bad, Service{Frontend: lb.Frontend{Addr: netip.MustParseAddrPort("10.97.0.1:0"), Protocol: lb.TCP}})
	if _, err := d.Sync(bad); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Sync with port 0: %v, want ErrUnsupported", err)
	}
	st, err := d.Sync(set)
	if err != nil || st.BackendsWritten != 1 {
		t.Fatalf("change after a refused Sync: %+v, %v; want the backend written", st.Counts(), err)
	}

	// Failing while writing: the services map refuses updates from now on.
	if err := d.objs.CikLbSvc.Freeze(); err != nil {
		t.Fatalf("freeze services map: %v", err)
	}
	set[8].Backends[0].State = lb.BackendTerminating
	if _, err := d.Sync(set); !errors.Is(err, ErrMap) {
		t.Fatalf("Sync into a frozen services map: %v, want ErrMap", err)
	}
	for k, rec := range d.st.svcs {
		if rec.inSet {
			t.Fatalf("service %v: input remembered after a failed Sync", d.addrs.frontend(svcKeyFrom64(k)))
		}
	}
	puts, err := d.prepareAll(set)
	if err != nil {
		t.Fatal(err)
	}
	for i := range puts {
		if puts[i].skip != nil {
			t.Fatalf("service %v skipped after a failed Sync", set[i].Frontend)
		}
	}
	checkMirror(t, d)
}

// TestReopenFillsNoRow checks that a datapath loaded again on the same pinned maps, given
// the set they hold, writes nothing and fills no Maglev row, and that a later change
// fills only its own row.
func TestReopenFillsNoRow(t *testing.T) {
	load(t, nil) // skip or fail early when unprivileged
	opts := &Options{PinDir: bpffs(t), MaglevTableSize: 251, MaxServices: 300, MaxBackends: 1200}
	d1, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	set := services(300)
	if _, err := d1.Sync(set); err != nil {
		t.Fatal(err)
	}
	if n := d1.rowsFilled.Load(); n != 300 {
		t.Fatalf("first Sync filled %d rows, want 300", n)
	}
	d1.Close()
	d2, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	// Backends listed in another order than their IDs: the row's inputs are the same.
	set[5].Backends[0], set[5].Backends[1] = set[5].Backends[1], set[5].Backends[0]
	for range 2 {
		st, err := d2.Sync(set)
		if err != nil || st.Counts() != (SyncStats{}) {
			t.Fatalf("Sync after reopen wrote %+v, %v", st.Counts(), err)
		}
		if n := d2.rowsFilled.Load(); n != 0 {
			t.Fatalf("Sync after reopen filled %d rows", n)
		}
	}
	set[9].Backends[1].State = lb.BackendMaintenance
	st, err := d2.Sync(set)
	if err != nil || st.MaglevWritten != 1 || d2.rowsFilled.Load() != 1 {
		t.Fatalf("one changed service after reopen: %+v, %v, %d rows filled", st.Counts(), err, d2.rowsFilled.Load())
	}
	checkMirror(t, d2)
}
