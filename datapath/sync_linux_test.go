package datapath

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// services returns n TCP services 10.96.x.y:80, the i-th with 2 + i%3 backends
// 10.(200+i>>16).x.y:(8000+j); all backends are distinct.
func services(n int) []Service {
	out := make([]Service, n)
	for i := range out {
		vip := netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})
		s := Service{Frontend: lb.Frontend{Addr: netip.AddrPortFrom(vip, 80), Protocol: lb.TCP}}
		for j := range 2 + i%3 {
			a := netip.AddrFrom4([4]byte{10, byte(200 + i>>16), byte(i >> 8), byte(i)})
			s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.AddrPortFrom(a, uint16(8000+j)), Protocol: lb.TCP, ClusterID: uint32(j)}})
		}
		out[i] = s
	}
	return out
}

func countBackends(ss []Service) int {
	n := 0
	for _, s := range ss {
		n += len(s.Backends)
	}
	return n
}

func TestSync10000Services(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 10000, MaxBackends: 40000})
	set := services(10000)
	nb := countBackends(set)

	st, err := d.Sync(set)
	if err != nil {
		t.Fatal(err)
	}
	want := SyncStats{ServicesWritten: 10000, BackendsWritten: nb, RevNATWritten: nb, MaglevWritten: 10000}
	if st.Syscalls > 3+10000/((4<<20)/(4*251))+1 {
		t.Errorf("full sync used %d syscalls", st.Syscalls)
	}
	st.Syscalls = 0
	if st.Counts() != want {
		t.Fatalf("full sync: %+v, want %+v", st, want)
	}
	fes, err := d.Frontends()
	if err != nil || len(fes) != 10000 {
		t.Fatalf("read back %d frontends (%v), want 10000", len(fes), err)
	}
	for _, i := range []int{0, 4321, 9999} {
		e, err := d.Service(set[i].Frontend)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Backends) != len(set[i].Backends) || len(e.Table) != 251 {
			t.Fatalf("service %d read back %d backends, table %d", i, len(e.Backends), len(e.Table))
		}
		for j, b := range set[i].Backends {
			if e.Backends[j] != b.Backend {
				t.Errorf("service %d backend %d = %v, want %v", i, j, e.Backends[j], b)
			}
		}
	}

	checkMirror(t, d)
	// The same set again writes nothing.
	if st, err = d.Sync(set); err != nil || st.Counts() != (SyncStats{}) {
		t.Fatalf("second sync: %+v, %v; want nothing written", st, err)
	}

	// One service changes: a backend turns terminating, one is added. Only its entries
	// are written: 2 backends, 1 reverse NAT, its Maglev row and its service entry.
	s := &set[777]
	s.Backends[0].State = lb.BackendTerminating
	s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort("10.250.0.1:9000"), Protocol: lb.TCP}})
	st, err = d.Sync(set)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SyncStats{ServicesWritten: 1, BackendsWritten: 2, RevNATWritten: 1, MaglevWritten: 1, Syscalls: 4}); st.Counts() != want {
		t.Fatalf("one-service change: %+v, want %+v", st, want)
	}
	e, err := d.Service(s.Frontend)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range e.Table {
		if a == s.Backends[0].Addr {
			t.Fatalf("terminating backend %v still in the Maglev table", a)
		}
	}

	// One service goes away: its service entry, Maglev row, backends and reverse NAT
	// entries are deleted, nothing else.
	gone := set[5000]
	set = append(set[:5000], set[5001:]...)
	st, err = d.Sync(set)
	if err != nil {
		t.Fatal(err)
	}
	n := len(gone.Backends)
	if !d.maglevArray {
		t.Fatal("test expects the Maglev array variant")
	}
	if want := (SyncStats{ServicesDeleted: 1, MaglevDeleted: 1, RevNATDeleted: n, BackendsDeleted: n, Syscalls: 3}); st.Counts() != want {
		t.Fatalf("one-service removal: %+v, want %+v", st, want)
	}
	if _, err := d.Service(gone.Frontend); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed service still readable: %v", err)
	}
	checkMirror(t, d)
}

func TestSyncRefusesBeforeWriting(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 8, MaxBackends: 20})
	set := services(4)
	if _, err := d.Sync(set); err != nil {
		t.Fatal(err)
	}
	dupBackend := services(5)
	dupBackend[4].Backends[0].Addr = dupBackend[0].Backends[0].Addr
	tooManyServices := services(9)
	tooManyBackends := services(8) // 2+3+4+2+3+4+2+3 = 23 backends
	ipv6 := services(1)
	ipv6[0].Frontend.Addr = netip.MustParseAddrPort("[fd00::1]:80")
	sctp := services(1)
	sctp[0].Frontend.Protocol = lb.SCTP
	// Reserved addresses in the last service of an otherwise valid set: the earlier
	// services must not be written either.
	zeroBackend := services(6)
	zeroBackend[5].Backends[1].Addr = netip.MustParseAddrPort("0.0.0.0:8080")
	bcastBackend := services(6)
	bcastBackend[5].Backends[0].Addr = netip.MustParseAddrPort("255.255.255.255:8080")
	loopbackSSH := services(6)
	loopbackSSH[5].Frontend.Addr = netip.MustParseAddrPort("127.0.0.1:22")
	unspecFrontend := services(6)
	unspecFrontend[5].Frontend.Addr = netip.MustParseAddrPort("0.0.0.0:80")
	mcastFrontend := services(6)
	mcastFrontend[5].Frontend.Addr = netip.MustParseAddrPort("224.0.0.251:80")
	for name, tc := range map[string]struct {
		set  []Service
		want error
	}{
		"backend under two frontends": {dupBackend, ErrDuplicate},
		"frontend twice":              {append(services(2), services(1)...), ErrDuplicate},
		"9 services, map holds 8":     {tooManyServices, ErrCapacity},
		"23 backends, map holds 20":   {tooManyBackends, ErrCapacity},
		"IPv6 frontend":               {ipv6, ErrUnsupported},
		"SCTP frontend":               {sctp, ErrUnsupported},
		"backend 0.0.0.0":             {zeroBackend, ErrUnsupported},
		"backend 255.255.255.255":     {bcastBackend, ErrUnsupported},
		"frontend 127.0.0.1:22":       {loopbackSSH, ErrUnsupported},
		"frontend 0.0.0.0":            {unspecFrontend, ErrUnsupported},
		"frontend multicast":          {mcastFrontend, ErrUnsupported},
	} {
		t.Run(name, func(t *testing.T) {
			st, err := d.Sync(tc.set)
			if !errors.Is(err, tc.want) || st.Counts() != (SyncStats{}) {
				t.Fatalf("Sync = %+v, %v; want nothing written and %v", st, err, tc.want)
			}
			if st, err := d.Sync(set); err != nil || st.Counts() != (SyncStats{}) {
				t.Fatalf("maps changed by the refused sync: %+v, %v", st, err)
			}
			checkMirror(t, d)
		})
	}
}

func TestUpsertAndDelete(t *testing.T) {
	d := load(t, nil)
	a, b := services(2)[0], services(2)[1]
	if _, err := d.UpsertService(a); err != nil {
		t.Fatal(err)
	}
	st, err := d.UpsertService(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SyncStats{ServicesWritten: 1, BackendsWritten: 3, RevNATWritten: 3, MaglevWritten: 1, Syscalls: 4}); st.Counts() != want {
		t.Fatalf("upsert: %+v, want %+v", st, want)
	}
	steal := b
	steal.Backends = append([]lb.SelectedBackend(nil), b.Backends...)
	steal.Backends[0] = a.Backends[0]
	if _, err := d.UpsertService(steal); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("upsert taking another frontend's backend: %v, want ErrDuplicate", err)
	}
	if st, err := d.UpsertService(a); err != nil || st.Counts() != (SyncStats{}) {
		t.Fatalf("unchanged upsert wrote %+v, %v", st, err)
	}
	if _, err := d.DeleteService(a.Frontend); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteService(a.Frontend); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	// a's backend may now move to b.
	if _, err := d.UpsertService(steal); err != nil {
		t.Fatal(err)
	}
	fes, err := d.Frontends()
	if err != nil || len(fes) != 1 || fes[0] != b.Frontend {
		t.Fatalf("frontends %v, %v; want only %v", fes, err, b.Frontend)
	}
	checkMirror(t, d)
}

func TestPreferredBackends(t *testing.T) {
	d := load(t, nil)
	s := testService(lb.TCP)
	// Affinity "local": cluster 1's backends (the first two) are preferred.
	s.Backends[0].Preferred, s.Backends[1].Preferred = true, true
	if _, err := d.UpsertService(s); err != nil {
		t.Fatal(err)
	}
	owners := func() map[netip.AddrPort]int {
		e, err := d.Service(s.Frontend)
		if err != nil {
			t.Fatal(err)
		}
		m := map[netip.AddrPort]int{}
		for _, a := range e.Table {
			m[a]++
		}
		return m
	}
	if o := owners(); len(o) != 2 || o[s.Backends[0].Addr] == 0 || o[s.Backends[1].Addr] == 0 {
		t.Fatalf("table owners %v, want the two preferred backends", o)
	}
	// No preferred backend active: every active backend takes flows.
	s.Backends[0].State = lb.BackendMaintenance
	s.Backends[1].State = lb.BackendQuarantined
	if _, err := d.UpsertService(s); err != nil {
		t.Fatal(err)
	}
	if o := owners(); len(o) != 2 || o[s.Backends[2].Addr] == 0 || o[s.Backends[3].Addr] == 0 {
		t.Fatalf("table owners %v, want the two remote backends", o)
	}
}

func TestMaglevHashVariant(t *testing.T) {
	// 65,536 services of M=16381 would need 4 GiB preallocated: the Maglev map is then a
	// hash and rows are deleted for real.
	d := load(t, &Options{MaxServices: 65536, MaxBackends: 1024})
	if d.maglevArray || d.objs.CikLbMaglev.Type() != ebpf.Hash {
		t.Fatalf("Maglev map is %v, want a hash", d.objs.CikLbMaglev.Type())
	}
	set := services(3)
	if _, err := d.Sync(set); err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort(clientIP + ":40000")
	e, err := d.Service(set[1].Frontend)
	if err != nil || len(e.Table) != maglev.DefaultSize {
		t.Fatalf("read back: %v, table of %d", err, len(e.Table))
	}
	in := packet(client, set[1].Frontend.Addr, lb.TCP, false)
	if ret, out := run(t, d.XDPProgram(), in); ret != xdpPass {
		t.Fatalf("verdict %d", ret)
	} else if _, dst, _ := flowOf(out); dst != e.Table[maglev.FlowSlot(client, set[1].Frontend.Addr, uint8(lb.TCP), maglev.DefaultSize)] {
		t.Fatalf("went to %v", dst)
	}
	st, err := d.Sync(set[:1])
	if err != nil {
		t.Fatal(err)
	}
	n := len(set[1].Backends) + len(set[2].Backends)
	if want := (SyncStats{ServicesDeleted: 2, MaglevDeleted: 2, RevNATDeleted: n, BackendsDeleted: n, Syscalls: 4}); st.Counts() != want {
		t.Fatalf("removal: %+v, want %+v", st, want)
	}
	var row []uint32
	for c := range d.rowN {
		if err := d.objs.CikLbMaglev.Lookup(e.ID*d.rowN+c, &row); !errors.Is(err, ebpf.ErrKeyNotExist) {
			t.Fatalf("element %d of Maglev row %d still there: %v", c, e.ID, err)
		}
	}
}

// revnatOfBackend runs a reply from backend through the reverse NAT and returns its new
// source, or the zero value when it passed unchanged.
func revnatOfBackend(t *testing.T, d *Datapath, backend netip.AddrPort) netip.AddrPort {
	t.Helper()
	in := packet(backend, netip.MustParseAddrPort(clientIP+":40000"), lb.TCP, false)
	_, out := run(t, d.TCEgressProgram(), in)
	if src, _, _ := flowOf(out); src != backend {
		return src
	}
	return netip.AddrPort{}
}

func TestSyncMovesBackendBetweenFrontends(t *testing.T) {
	d := load(t, nil)
	set := services(2)
	moved := set[0].Backends[0]
	if _, err := d.Sync(set); err != nil {
		t.Fatal(err)
	}
	set[0].Backends = set[0].Backends[1:]
	set[1].Backends = append(set[1].Backends, moved)
	st, err := d.Sync(set)
	if err != nil {
		t.Fatal(err)
	}
	// The moved backend is rewritten in place (new service ID) with its reverse NAT entry;
	// both services get new Maglev rows and counts; nothing is deleted.
	if want := (SyncStats{ServicesWritten: 2, BackendsWritten: 1, RevNATWritten: 1, MaglevWritten: 2, Syscalls: 4}); st.Counts() != want {
		t.Fatalf("move: %+v, want %+v", st, want)
	}
	if got := revnatOfBackend(t, d, moved.Addr); got != set[1].Frontend.Addr {
		t.Fatalf("reply of the moved backend leaves as %v, want %v", got, set[1].Frontend.Addr)
	}
	checkMirror(t, d)
}

func TestSyncReusesFreedIDsWhenFull(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 1, MaxBackends: 4})
	mk := func(port uint16) []Service {
		s := Service{Frontend: lb.Frontend{Addr: netip.AddrPortFrom(netip.MustParseAddr("10.96.0.1"), port), Protocol: lb.TCP}}
		for i := range 4 {
			s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(port), byte(i)}), 80), Protocol: lb.TCP}})
		}
		return []Service{s}
	}
	old, repl := mk(1), mk(2)
	if _, err := d.Sync(old); err != nil {
		t.Fatal(err)
	}
	// Every ID is in use: the new frontend and backends must take the IDs the old ones free.
	st, err := d.Sync(repl)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SyncStats{ServicesWritten: 1, ServicesDeleted: 1, BackendsWritten: 4, RevNATWritten: 4, RevNATDeleted: 4, MaglevWritten: 1, Syscalls: 6}); st.Counts() != want {
		t.Fatalf("replacement: %+v, want %+v", st, want)
	}
	e, err := d.Service(repl[0].Frontend)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Backends) != 4 || len(e.Table) != 251 {
		t.Fatalf("read back %d backends, table %d", len(e.Backends), len(e.Table))
	}
	checkMirror(t, d)
	for _, b := range repl[0].Backends {
		if got := revnatOfBackend(t, d, b.Addr); got != repl[0].Frontend.Addr {
			t.Errorf("new backend %v: reply leaves as %v", b.Addr, got)
		}
	}
	for _, b := range old[0].Backends {
		if got := revnatOfBackend(t, d, b.Addr); got.IsValid() {
			t.Errorf("old backend %v: reply still rewritten to %v", b.Addr, got)
		}
	}
	in := packet(netip.MustParseAddrPort(clientIP+":40000"), repl[0].Frontend.Addr, lb.TCP, false)
	if ret, _ := run(t, d.XDPProgram(), in); ret != xdpPass {
		t.Fatalf("new frontend: verdict %d", ret)
	}

	// The same frontend swaps all its backends for new ones while the maps are full.
	again := mk(3)
	again[0].Frontend = repl[0].Frontend
	if _, err := d.Sync(again); err != nil {
		t.Fatal(err)
	}
	for _, b := range again[0].Backends {
		if got := revnatOfBackend(t, d, b.Addr); got != repl[0].Frontend.Addr {
			t.Errorf("swapped-in backend %v: reply leaves as %v", b.Addr, got)
		}
	}
	for _, b := range repl[0].Backends {
		if got := revnatOfBackend(t, d, b.Addr); got.IsValid() {
			t.Errorf("swapped-out backend %v: reply still rewritten to %v", b.Addr, got)
		}
	}
	if e, err := d.Service(repl[0].Frontend); err != nil || len(e.Backends) != 4 || e.Backends[0] != again[0].Backends[0].Backend {
		t.Fatalf("read back %+v, %v", e, err)
	}
	checkMirror(t, d)
}

// TestDuplicatesNamedOnFirstSync refuses duplicates among services none of which is
// programmed yet, naming both frontends (and the backend) in the error.
func TestDuplicatesNamedOnFirstSync(t *testing.T) {
	d := load(t, nil)
	set := services(3)
	set[2].Backends[0] = set[0].Backends[1]
	st, err := d.Sync(set)
	if !errors.Is(err, ErrDuplicate) || st.Counts() != (SyncStats{}) {
		t.Fatalf("Sync = %+v, %v; want nothing written and ErrDuplicate", st, err)
	}
	for _, s := range []string{set[0].Frontend.Addr.String(), set[2].Frontend.Addr.String(), set[0].Backends[1].Addr.String()} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
	twice := append(services(3), services(2)[1])
	if _, err := d.Sync(twice); !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), twice[1].Frontend.Addr.String()) {
		t.Fatalf("frontend listed twice: %v, want ErrDuplicate naming %v", err, twice[1].Frontend)
	}
	checkMirror(t, d)
}
