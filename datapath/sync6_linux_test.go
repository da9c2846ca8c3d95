package datapath

import (
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// services6 is services over IPv6: n frontends fd00:96::<i> with 2 to 4 backends each.
func services6(n int, backendNet byte) []Service {
	out := make([]Service, n)
	for i := range out {
		vip := netip.AddrFrom16([16]byte{0xfd, 0, 0, 0x96, 14: byte(i >> 8), 15: byte(i)})
		s := Service{Frontend: lb.Frontend{Addr: netip.AddrPortFrom(vip, 80), Protocol: lb.TCP}}
		for j := range 2 + i%3 {
			a := netip.AddrFrom16([16]byte{0xfd, 0, 0, backendNet, 13: byte(j), 14: byte(i >> 8), 15: byte(i)})
			s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.AddrPortFrom(a, uint16(8000+j)), Protocol: lb.TCP, ClusterID: uint32(j)}})
		}
		out[i] = s
	}
	return out
}

// revnatOfBackend6 is revnatOfBackend for an IPv6 backend.
func revnatOfBackend6(t *testing.T, d *Datapath, backend netip.AddrPort) netip.AddrPort {
	t.Helper()
	in := packet6(backend, netip.MustParseAddrPort("["+clientIP6+"]:40000"), lb.TCP)
	_, out := run(t, d.TCEgressProgram(), in)
	if src, _ := flowOf6(out); src != backend {
		return src
	}
	return netip.AddrPort{}
}

// TestSyncMixedFamilies: one Sync programs IPv4 and IPv6 services together; both read
// back; a datapath loaded again on the pinned maps rebuilds the same mirror (IPv6 entries
// included), writes nothing for the same set, and deletes exactly what leaves it.
func TestSyncMixedFamilies(t *testing.T) {
	load(t, nil) // skip or fail early when unprivileged
	opts := &Options{PinDir: bpffs(t), MaglevTableSize: 251, MaxServices: 1024, MaxBackends: 4096}
	d1, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	set := append(services(300), services6(300, 0x10)...)
	st, err := d1.Sync(set)
	if err != nil {
		t.Fatal(err)
	}
	nbe := countBackends(set)
	if st.ServicesWritten != 600 || st.BackendsWritten != nbe || st.RevNATWritten != nbe || st.MaglevWritten != 600 {
		t.Fatalf("first Sync: %+v, want 600 services and %d backends", st.Counts(), nbe)
	}
	checkMirror(t, d1)
	for _, i := range []int{0, 299, 300, 599} {
		s := set[i]
		e, err := d1.Service(s.Frontend)
		if err != nil || len(e.Backends) != len(s.Backends) || len(e.Table) != 251 {
			t.Fatalf("%v: read back %+v, %v", s.Frontend, e, err)
		}
		for _, a := range e.Table {
			if a.Addr().Is4() != s.Frontend.Addr.Addr().Is4() {
				t.Fatalf("%v: table slot holds %v", s.Frontend, a)
			}
		}
	}
	if fes, err := d1.Frontends(); err != nil || len(fes) != 600 || !fes[0].Addr.Addr().Is4() || !fes[599].Addr.Addr().Is6() {
		t.Fatalf("Frontends: %d, %v", len(fes), err)
	}
	if got := revnatOfBackend6(t, d1, set[300].Backends[0].Addr); got != set[300].Frontend.Addr {
		t.Fatalf("IPv6 reply leaves as %v", got)
	}
	d1.Close()

	d2, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	checkMirror(t, d2)
	if len(d2.st.svcs) != 600 || len(d2.st.bes) != nbe {
		t.Fatalf("reopened mirror: %d services, %d backends", len(d2.st.svcs), len(d2.st.bes))
	}
	if st, err := d2.Sync(set); err != nil || st.Counts() != (SyncStats{}) {
		t.Fatalf("Sync after reopen wrote %+v, %v", st.Counts(), err)
	}
	// Drop every other IPv6 service, change one IPv6 backend's state.
	var next []Service
	for i, s := range set {
		if i < 300 || i%2 == 0 {
			next = append(next, s)
		}
	}
	next[300].Backends[0].State = lb.BackendTerminating
	st, err = d2.Sync(next)
	if err != nil {
		t.Fatal(err)
	}
	if st.ServicesDeleted != 150 || st.MaglevWritten != 1 || st.BackendsWritten != 1 {
		t.Fatalf("shrinking Sync: %+v", st.Counts())
	}
	if _, err := d2.Service(set[301].Frontend); err == nil {
		t.Fatalf("deleted %v still read back", set[301].Frontend)
	}
	if got := revnatOfBackend6(t, d2, set[301].Backends[0].Addr); got.IsValid() {
		t.Fatalf("deleted service's backend still reverse-NATed to %v", got)
	}
	if _, err := d2.DeleteService(next[300].Frontend); err != nil {
		t.Fatal(err)
	}
	checkMirror(t, d2)
}

// TestBackendIDsMoveBetweenFamilies: with every ID in use, an IPv6 service replacing an
// IPv4 one takes the freed IDs; the IPv4 array's copies of those slots are cleared, so a
// reload sees each ID once, and the reverse works the same.
func TestBackendIDsMoveBetweenFamilies(t *testing.T) {
	load(t, nil)
	opts := &Options{PinDir: bpffs(t), MaglevTableSize: 251, MaxServices: 1, MaxBackends: 4}
	d, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	v4 := services(3)[2:] // 4 backends
	v6 := services6(3, 0x20)[2:]
	for _, step := range [][]Service{v4, v6, v4} {
		if _, err := d.Sync(step); err != nil {
			t.Fatal(err)
		}
		checkMirror(t, d)
		six := step[0].Frontend.Addr.Addr().Is6()
		for id := uint32(1); id <= 4; id++ {
			var b4 backendEntry
			var b6 backendEntry6
			if err := d.objs.CikLbBackend.Lookup(id, &b4); err != nil {
				t.Fatal(err)
			}
			if err := d.objs.CikLbBackend6.Lookup(id, &b6); err != nil {
				t.Fatal(err)
			}
			if (b4.Addr != 0) == six || (b6.Addr != [4]uint32{}) != six {
				t.Fatalf("IPv6 step %v: ID %d holds IPv4 %v and IPv6 %v", six, id, b4.Addr != 0, b6.Addr != [4]uint32{})
			}
		}
		e, err := d.Service(step[0].Frontend)
		if err != nil || len(e.Backends) != 4 {
			t.Fatalf("read back %+v, %v", e, err)
		}
		client := netip.MustParseAddrPort("[" + clientIP6 + "]:40000")
		in := packet6(client, step[0].Frontend.Addr, lb.TCP)
		if !six {
			in = packet(netip.MustParseAddrPort(clientIP+":40000"), step[0].Frontend.Addr, lb.TCP, false)
		}
		if ret, _ := run(t, d.XDPProgram(), in); ret != xdpPass {
			t.Fatalf("IPv6 step %v: verdict %d", six, ret)
		}
	}
}

// TestAddrTableCollects: IPv6 backends replaced on every Sync do not grow the handle
// table without bound, and every handle still in use keeps its address.
func TestAddrTableCollects(t *testing.T) {
	d := load(t, nil)
	for round := range 12 {
		set := services6(200, byte(0x30+round))
		if _, err := d.Sync(set); err != nil {
			t.Fatal(err)
		}
		inUse := len(d.addrs.addrs) - 1 - len(d.addrs.free)
		live := 200 + countBackends(set)
		if inUse > 3*live+1024 {
			t.Fatalf("round %d: %d handles in use for %d live addresses", round, inUse, live)
		}
		for _, i := range []int{0, 117, 199} {
			e, err := d.Service(set[i].Frontend)
			if err != nil || len(e.Backends) != len(set[i].Backends) || e.Backends[0] != set[i].Backends[0].Backend {
				t.Fatalf("round %d: %v read back %+v, %v", round, set[i].Frontend, e, err)
			}
		}
		checkMirror(t, d)
	}
	if len(d.addrs.free) == 0 {
		t.Fatalf("no handle was ever freed (%d handles)", len(d.addrs.addrs))
	}
}
