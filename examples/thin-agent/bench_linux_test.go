package main

import (
	"flag"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// populatedView is the view of n global services as the sources leave it after their
// initial lists: each with its ClusterIP and one local backend (Kubernetes) and one
// backend in each of two remote clusters (kvstores).
func populatedView(n int) *view {
	v := newView()
	for i := range n {
		k := types.NamespacedName{Namespace: fmt.Sprintf("ns-%d", i%50), Name: fmt.Sprintf("svc-%d", i)}
		ip := func(a byte) netip.Addr { return netip.AddrFrom4([4]byte{a, byte(i >> 16), byte(i >> 8), byte(i)}) }
		fe := lb.Frontend{Addr: netip.AddrPortFrom(ip(10), 80), Protocol: lb.TCP}
		be := func(a byte, c uint32) []portBackend {
			return []portBackend{{lb.Backend{Addr: netip.AddrPortFrom(ip(a), 8080), Protocol: lb.TCP, ClusterID: c}, "http"}}
		}
		v.setLocal(k, &svcData{frontends: []portFrontend{{fe, "http"}}, backends: be(11, 1), global: &lb.Global{}, shared: true})
		v.setRemote("hk", k, &svcData{frontends: []portFrontend{{fe, "http"}}, backends: be(12, 2), global: &lb.Global{}, shared: true})
		v.setRemote("osaka", k, &svcData{frontends: []portFrontend{{fe, "http"}}, backends: be(13, 3), global: &lb.Global{}, shared: true})
	}
	return v
}

// cpuTime returns the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStart times the agent's start path for 10,000 services whose sources have
// finished their initial lists: load the datapath, merge the view into the desired set
// (snapshot) and write it (Sync), reported as load-ms, merge-ms and sync-ms of wall time
// per start, and merge-cpu-ms, the CPU time of the merge (all threads, GC included),
// which depends less on how busy the machine is.
// cold starts into empty maps; restart starts on maps a previous agent pinned, as a
// restarted agent does (nothing to write). The Maglev table size M is 1021 and Cilium's
// default 16381; the latter builds 10,000 rows of 16381 slots (about 700 MB of kernel
// memory, a second or more of work) and so is skipped by the CI smoke run
// (-benchtime=1x): run it with -benchtime=2x or more.
func BenchmarkStart(b *testing.B) {
	testenv.RequirePrivileged(b)
	const n = 10000
	smoke := false
	if f := flag.Lookup("test.benchtime"); f != nil && f.Value.String() == "1x" {
		smoke = true
	}
	for _, m := range []uint32{1021, 16381} {
		opts := datapath.Options{MaglevTableSize: m, MaxServices: 16384, MaxBackends: 65536}
		for _, restart := range []bool{false, true} {
			name := fmt.Sprintf("cold/M=%d", m)
			if restart {
				name = fmt.Sprintf("restart/M=%d", m)
			}
			b.Run(name, func(b *testing.B) {
				if smoke && m > 1021 {
					b.Skip("M=16381 takes seconds per start; run with -benchtime=2x or more")
				}
				benchStart(b, n, opts, restart)
			})
		}
	}
}

func benchStart(b *testing.B, n int, opts datapath.Options, restart bool) {
	if restart {
		opts.PinDir = b.TempDir()
		if err := unix.Mount("bpf", opts.PinDir, "bpf", 0, "mode=0700"); err != nil {
			testenv.Unavailable(b, "mount bpffs: "+err.Error())
		}
		defer unix.Unmount(opts.PinDir, unix.MNT_DETACH)
		d, err := datapath.Load(&opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Sync(populatedView(n).snapshot().services); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
	var load, merge, mergeCPU, sync time.Duration
	var written int
	for b.Loop() {
		b.StopTimer()
		v := populatedView(n)
		b.StartTimer()
		t0 := time.Now()
		d, err := datapath.Load(&opts)
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuTime()
		s := v.snapshot()
		t2 := time.Now()
		mergeCPU += cpuTime() - c1
		st, err := d.Sync(s.services)
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		load, merge, sync = load+t1.Sub(t0), merge+t2.Sub(t1), sync+t3.Sub(t2)
		written += st.Entries()
		b.StopTimer()
		if len(s.services) != n {
			b.Fatalf("%d services, want %d", len(s.services), n)
		}
		d.Close()
		b.StartTimer()
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(load), "load-ms")
	b.ReportMetric(ms(merge), "merge-ms")
	b.ReportMetric(ms(mergeCPU), "merge-cpu-ms")
	b.ReportMetric(ms(sync), "sync-ms")
	b.ReportMetric(float64(written)/float64(b.N), "entries")
}

// BenchmarkChange times one backend change among 10,000 programmed services (M=1021):
// the view recomputes the changed service, rebuilds the desired set and the datapath
// writes what differs. entries/op shows that only the changed service's entries are
// written (its backend, reverse NAT entry, Maglev row and service entry).
func BenchmarkChange(b *testing.B) {
	testenv.RequirePrivileged(b)
	const n = 10000
	v := populatedView(n)
	d, err := datapath.Load(&datapath.Options{MaglevTableSize: 1021, MaxServices: 16384, MaxBackends: 65536})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Sync(v.snapshot().services); err != nil {
		b.Fatal(err)
	}
	k := types.NamespacedName{Namespace: "ns-7", Name: "svc-7"}
	fe := lb.Frontend{Addr: netip.MustParseAddrPort("10.0.0.7:80"), Protocol: lb.TCP}
	var entries int
	i := 0
	for b.Loop() {
		i++
		be := netip.AddrPortFrom(netip.AddrFrom4([4]byte{12, 200, byte(i >> 8), byte(i)}), 8080)
		v.setRemote("hk", k, &svcData{frontends: []portFrontend{{fe, "http"}}, shared: true, global: &lb.Global{},
			backends: []portBackend{{lb.Backend{Addr: be, Protocol: lb.TCP, ClusterID: 2}, "http"}}})
		st, err := d.Sync(v.snapshot().services)
		if err != nil {
			b.Fatal(err)
		}
		entries += st.Entries()
	}
	b.ReportMetric(float64(entries)/float64(b.N), "entries/op")
}
