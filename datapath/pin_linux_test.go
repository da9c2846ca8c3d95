package datapath

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ciliumkit/ciliumkit/egress"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
	"golang.org/x/sys/unix"
)

// bpffs mounts a fresh bpffs on a temporary directory, unmounted on cleanup.
func bpffs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		t.Fatalf("mount bpffs on %s: %v", dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestPinnedMapsSurviveReopen(t *testing.T) {
	load(t, nil) // skip or fail early when unprivileged
	dir := bpffs(t)
	opts := &Options{PinDir: dir, MaglevTableSize: 251, MaxServices: 64, MaxBackends: 256}
	d1, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	set := services(20)
	if _, err := d1.Sync(set); err != nil {
		t.Fatal(err)
	}
	eg := []egress.Entry{{Source: netip.MustParseAddr("10.244.1.7"), Destination: netip.MustParsePrefix("0.0.0.0/0"),
		EgressIP: netip.MustParseAddr("10.0.0.10"), GatewayIP: netip.MustParseAddr("192.168.1.10")}}
	if _, err := d1.SyncEgress(eg); err != nil {
		t.Fatal(err)
	}
	if _, err := d1.SyncL2Responders([]L2Responder{{IP: netip.MustParseAddr("10.10.200.1"), Ifindex: 2, MAC: []byte{2, 0, 0, 0, 0, 1}}}); err != nil {
		t.Fatal(err)
	}
	in, out1, before := probeService(t, d1, set[3])
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cik_lb_svc", "cik_lb_backend", "cik_lb_revnat", "cik_lb_maglev", "cik_egress_v4", "cik_l2resp_v4"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("map %s not pinned: %v", name, err)
		}
	}

	d2, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	after, err := d2.Service(set[3].Frontend)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != before.ID || len(after.Backends) != len(before.Backends) || len(after.Table) != len(before.Table) {
		t.Fatalf("after reopen %+v, before %+v", after, before)
	}
	for i := range before.Table {
		if after.Table[i] != before.Table[i] {
			t.Fatalf("Maglev slot %d: %v after reopen, %v before", i, after.Table[i], before.Table[i])
		}
	}
	// The reopened datapath knows what the maps hold: the same set writes nothing.
	if st, err := d2.Sync(set); err != nil || st.Counts() != (SyncStats{}) {
		t.Fatalf("sync after reopen wrote %+v, %v", st, err)
	}
	if st, err := d2.SyncEgress(eg); err != nil || st.Entries() != 0 {
		t.Fatalf("egress sync after reopen wrote %+v, %v", st, err)
	}
	if rs, err := d2.L2Responders(); err != nil || len(rs) != 1 {
		t.Fatalf("L2 responders after reopen: %v, %v", rs, err)
	}
	_, out2 := run(t, d2.XDPProgram(), in)
	if _, dst1, _ := flowOf(out1); func() bool { _, dst2, _ := flowOf(out2); return dst1 != dst2 }() {
		t.Fatalf("flow went to a different backend after reopen")
	}
	// A new service still gets a fresh ID, not one in use.
	extra := services(21)[20]
	if _, err := d2.UpsertService(extra); err != nil {
		t.Fatal(err)
	}
	e, err := d2.Service(extra.Frontend)
	if err != nil || e.ID != 21 {
		t.Fatalf("new service after reopen: ID %d, %v; want 21", e.ID, err)
	}

	// Pinned maps of another shape are refused.
	if _, err := Load(&Options{PinDir: dir, MaglevTableSize: 509, MaxServices: 64, MaxBackends: 256}); err == nil {
		t.Fatal("Load with a different Maglev size reused the pinned maps")
	} else if errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("unexpected error kind: %v", err)
	}
}

// TestPinnedRowsOfEarlierLayout reopens a pin directory whose Maglev map holds whole rows
// of M slots (the layout before rows were cut into elements): Load unpins it, and the next
// Sync writes every row again, which send flows where they went before.
func TestPinnedRowsOfEarlierLayout(t *testing.T) {
	load(t, nil) // skip or fail early when unprivileged
	dir := bpffs(t)
	const m = 1021 // two elements per row
	opts := &Options{PinDir: dir, MaglevTableSize: m, MaxServices: 64, MaxBackends: 256}
	d1, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	set := services(20)
	if _, err := d1.Sync(set); err != nil {
		t.Fatal(err)
	}
	in, out1, before := probeService(t, d1, set[3])
	typ := d1.objs.CikLbMaglev.Type()
	if err := d1.Close(); err != nil {
		t.Fatal(err)
	}
	// Put a map of whole rows (key: service ID, value: M backend IDs) in its place.
	path := filepath.Join(dir, "cik_lb_maglev")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	old, err := ebpf.NewMap(&ebpf.MapSpec{Type: typ, KeySize: 4, ValueSize: 4 * m, MaxEntries: 65})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Pin(path); err != nil {
		t.Fatal(err)
	}
	old.Close()

	d2, err := Load(opts)
	if err != nil {
		t.Fatalf("Load over a Maglev map of whole rows: %v", err)
	}
	defer d2.Close()
	if info, err := d2.objs.CikLbMaglev.Info(); err != nil || d2.objs.CikLbMaglev.ValueSize() == 4*m {
		t.Fatalf("Maglev map after Load: %+v, %v", info, err)
	}
	st, err := d2.Sync(set)
	if err != nil {
		t.Fatal(err)
	}
	if st.MaglevWritten != len(set) {
		t.Fatalf("Sync after Load over whole rows wrote %d rows, want %d", st.MaglevWritten, len(set))
	}
	after, err := d2.Service(set[3].Frontend)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Table) != len(before.Table) || after.ID != before.ID {
		t.Fatalf("after reopen %+v, before %+v", after, before)
	}
	for i := range before.Table {
		if after.Table[i] != before.Table[i] {
			t.Fatalf("Maglev slot %d: %v after reopen, %v before", i, after.Table[i], before.Table[i])
		}
	}
	_, out2 := run(t, d2.XDPProgram(), in)
	if _, dst1, _ := flowOf(out1); func() bool { _, dst2, _ := flowOf(out2); return dst1 != dst2 }() {
		t.Fatalf("flow went to a different backend after the rows were rewritten")
	}
	// The new map is pinned: the next Load reuses it and the same set writes nothing.
	d2.Close()
	d3, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	if st, err := d3.Sync(set); err != nil || st.Counts() != (SyncStats{}) {
		t.Fatalf("sync after the second reopen wrote %+v, %v", st, err)
	}
}

// probeService returns a TCP packet from the test client to svc's frontend, what the
// XDP program makes of it, and svc's state read back from d.
func probeService(t *testing.T, d *Datapath, svc Service) (in, out []byte, e ServiceEntry) {
	t.Helper()
	client := netip.MustParseAddrPort(clientIP + ":40000")
	in = packet(client, svc.Frontend.Addr, lb.TCP, false)
	_, out = run(t, d.XDPProgram(), in)
	e, err := d.Service(svc.Frontend)
	if err != nil {
		t.Fatal(err)
	}
	return in, out, e
}
