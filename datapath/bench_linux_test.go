package datapath

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// smoke reports whether the benchmarks run as a smoke test (-benchtime=1x): heavy sizes
// are then skipped, and the small sizes of the same code still run.
func smoke() bool {
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() == "1x"
}

// heavy skips b in a smoke run.
func heavy(b *testing.B) {
	if smoke() {
		b.Skip("skipped at -benchtime=1x (smoke test); run with -benchtime=3x or more for this size")
	}
}

// progTime runs p once on in (repeat=1, so every run sees the original packet, not the
// one the previous run rewrote) and returns the kernel-measured time, which includes the
// test-run overhead.
func progTime(b *testing.B, p *ebpf.Program, in []byte, want uint32) time.Duration {
	ret, dur, err := p.Benchmark(in, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	if ret != want {
		b.Fatalf("verdict %d, want %d", ret, want)
	}
	return dur
}

// median returns the median of ds (sorting ds).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// benchProg times one packet per BPF_PROG_TEST_RUN and reports the mean and the median
// (p50; on a shared machine the mean includes runs that were interrupted).
func benchProg(b *testing.B, p *ebpf.Program, in []byte, want uint32) {
	var total time.Duration
	var durs []time.Duration
	for b.Loop() {
		d := progTime(b, p, in, want)
		total += d
		durs = append(durs, d)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(len(durs)), "ns/packet")
	b.ReportMetric(float64(median(durs).Nanoseconds()), "ns/packet-p50")
}

// BenchmarkXDP times the XDP program per packet. "hit-vs-floor" runs, interleaved in one
// loop, the load balancer's hit path and the floor: testdata/xdpfloor.c, the least an
// XDP DNAT does (parse Ethernet/IPv4/TCP, one hash lookup, rewrite the destination with
// incremental checksums), on the same packet; it reports both medians and
// hit/floor (1 = no cost over the floor). baseline-non-ip is the cost of
// BPF_PROG_TEST_RUN itself (the program returns after reading the EtherType).
func BenchmarkXDP(b *testing.B) {
	d := load(b, nil)
	svc := testService(lb.TCP)
	if _, err := d.UpsertService(svc); err != nil {
		b.Fatal(err)
	}
	client := netip.MustParseAddrPort(clientIP + ":40000")
	hit := packet(client, svc.Frontend.Addr, lb.TCP, false)
	miss := packet(client, netip.MustParseAddrPort("10.96.0.99:80"), lb.TCP, false)
	lldp := packet(client, svc.Frontend.Addr, lb.TCP, false)
	lldp[12], lldp[13] = 0x88, 0xcc

	var floor xdpfloorObjects
	if err := loadXdpfloorObjects(&floor, nil); err != nil {
		b.Fatal(err)
	}
	defer floor.Close()
	fe, be := svc.Frontend.Addr, svc.Backends[0].Addr
	if err := floor.FloorDnat.Put(xdpfloorFloorKey{Addr: addrBE(fe.Addr()), Port: portBE(fe.Port())},
		xdpfloorFloorVal{Addr: addrBE(be.Addr()), Port: portBE(be.Port())}); err != nil {
		b.Fatal(err)
	}
	// The floor's rewrite is checked like the load balancer's.
	if ret, out, err := floor.XdpFloor.Test(append([]byte(nil), hit...)); err != nil || ret != xdpPass {
		b.Fatalf("floor: %d, %v", ret, err)
	} else if _, dst, _ := flowOf(out); dst != be {
		b.Fatalf("floor sent the packet to %v, want %v", dst, be)
	} else if binary.BigEndian.Uint16(out[offIP+10:]) != ipChecksum(out[offIP:offIP+ipHLen]) ||
		binary.BigEndian.Uint16(out[offL4+16:]) != l4Checksum(out) {
		b.Fatalf("floor left bad checksums: %x", out)
	}

	b.Run("baseline-non-ip", func(b *testing.B) { benchProg(b, d.XDPProgram(), lldp, xdpPass) })
	b.Run("hit", func(b *testing.B) { benchProg(b, d.XDPProgram(), hit, xdpPass) })
	b.Run("miss", func(b *testing.B) { benchProg(b, d.XDPProgram(), miss, xdpPass) })
	b.Run("tc-hit", func(b *testing.B) { benchProg(b, d.TCIngressProgram(), hit, tcOK) })
	// The IPv6 paths, on a service of the same shape, and a neighbour solicitation
	// answered from the IPv6 L2 responder map.
	svc6 := testService6(lb.TCP)
	if _, err := d.UpsertService(svc6); err != nil {
		b.Fatal(err)
	}
	client6 := netip.MustParseAddrPort("[" + clientIP6 + "]:40000")
	hit6 := packet6(client6, svc6.Frontend.Addr, lb.TCP)
	b.Run("hit-ipv6", func(b *testing.B) { benchProg(b, d.XDPProgram(), hit6, xdpPass) })
	b.Run("tc-hit-ipv6", func(b *testing.B) { benchProg(b, d.TCIngressProgram(), hit6, tcOK) })
	b.Run("revnat-ipv6", func(b *testing.B) {
		benchProg(b, d.TCEgressProgram(), packet6(svc6.Backends[0].Addr, client6, lb.TCP), tcOK)
	})
	b.Run("hit-vs-floor", func(b *testing.B) {
		var ours, anchor []time.Duration
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				ours = append(ours, progTime(b, d.XDPProgram(), hit, xdpPass))
				anchor = append(anchor, progTime(b, floor.XdpFloor, hit, xdpPass))
			} else {
				anchor = append(anchor, progTime(b, floor.XdpFloor, hit, xdpPass))
				ours = append(ours, progTime(b, d.XDPProgram(), hit, xdpPass))
			}
			i++
		}
		o, a := median(ours), median(anchor)
		b.ReportMetric(float64(o.Nanoseconds()), "hit-ns/packet-p50")
		b.ReportMetric(float64(a.Nanoseconds()), "floor-ns/packet-p50")
		b.ReportMetric(float64(o)/float64(max(a, 1)), "hit/floor")
	})
}

// syncSet returns n services with 4 backends each, all in state.
func syncSet(n int, state lb.BackendState) []Service {
	set := make([]Service, n)
	for i := range set {
		vip := netip.AddrFrom4([4]byte{10, 96 + byte(i>>16), byte(i >> 8), byte(i)})
		s := Service{Frontend: lb.Frontend{Addr: netip.AddrPortFrom(vip, 80), Protocol: lb.TCP}}
		for j := range 4 {
			a := netip.AddrFrom4([4]byte{10, 200 + byte(i>>16), byte(i >> 8), byte(i)})
			s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.AddrPortFrom(a, uint16(8000+j)), Protocol: lb.TCP, State: state}})
		}
		set[i] = s
	}
	return set
}

func syncOpts(n int) *Options {
	return &Options{MaglevTableSize: 251, MaxServices: uint32(n), MaxBackends: uint32(4 * n)}
}

// rawWrites is exactly what Sync writes into empty maps for a set, precomputed (Maglev
// rows filled), to be written with Sync's concurrency and batching and nothing else.
type rawWrites struct {
	pl      *plan
	rowKeys [][]uint32
	rowVals []any // []([M]uint32) per batch
}

func rawFor(b *testing.B, set []Service) *rawWrites {
	d := load(b, syncOpts(len(set)))
	puts, err := d.prepareAll(set)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := d.planWrites(puts, nil)
	if err != nil {
		b.Fatal(err)
	}
	// The rows as Sync writes them: rowN elements of rowPer slots each.
	m, per, n := int(d.opts.MaglevTableSize), int(d.rowPer), int(d.rowN)
	stride := per * n
	chunk := max(1, min(len(pl.rows), rowBatchBytes/(4*stride)))
	r := &rawWrites{pl: pl}
	for start := 0; start < len(pl.rows); start += chunk {
		rows := pl.rows[start:min(start+chunk, len(pl.rows))]
		v := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(per, reflect.TypeFor[uint32]())), len(rows)*n, len(rows)*n)
		buf := unsafe.Slice((*uint32)(v.UnsafePointer()), len(rows)*stride)
		keys := make([]uint32, 0, len(rows)*n)
		for j, row := range rows {
			t := buf[j*stride : j*stride+m]
			if err := d.maglev.Fill(t, row.cand); err != nil {
				b.Fatal(err)
			}
			for x := range t {
				t[x] = row.ids[t[x]]
			}
			for c := range n {
				keys = append(keys, row.id*uint32(n)+uint32(c))
			}
		}
		r.rowKeys, r.rowVals = append(r.rowKeys, keys), append(r.rowVals, v.Interface())
	}
	return r
}

// write writes r into d's maps as Sync does: backends and reverse NAT concurrently, then
// the Maglev rows (from Sync's number of row writers), then the services.
func (r *rawWrites) write(b *testing.B, d *Datapath) {
	var n int
	beErr := make(chan error, 1)
	go func() {
		var n int
		beErr <- batchUpdate(d.objs.CikLbBackend, "backends", r.pl.beIDs, r.pl.beVals, &n)
	}()
	err := batchUpdate(d.objs.CikLbRevnat, "reverse NAT", r.pl.rnKeys, r.pl.rnVals, &n)
	if e := <-beErr; e != nil || err != nil {
		b.Fatal(e, err)
	}
	// Rows from as many goroutines as Sync's row writers use.
	writers := min(runtime.GOMAXPROCS(0), rowWriters, len(r.rowKeys))
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			var n int
			for i := w; i < len(r.rowKeys); i += writers {
				if err := batchUpdate(d.objs.CikLbMaglev, "Maglev", r.rowKeys[i], r.rowVals[i], &n); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := batchUpdate(d.objs.CikLbSvc, "services", r.pl.svcKeys, r.pl.svcVals, &n); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSync100k compares a full Sync of n services with 4 backends each into empty
// maps (Maglev M=251) with its anchor, raw: the identical entries (Maglev rows included,
// precomputed) written with Sync's concurrency and batch syscalls and nothing else. Each
// iteration runs both, in alternating order, on freshly loaded maps, and reports the
// median of each, raw/sync (1 = Sync costs nothing over the kernel's writes) and Sync's
// process CPU time. The no-rows case has every backend in maintenance, so no Maglev row
// is built. resync-noop times a Sync of the same set into maps that already hold it (it
// writes nothing). The 100,000 sizes are skipped at -benchtime=1x.
func BenchmarkSync100k(b *testing.B) {
	for _, n := range []int{2000, 100000} {
		for _, tc := range []struct {
			name  string
			state lb.BackendState
		}{{"maglev-251", lb.BackendActive}, {"no-rows", lb.BackendMaintenance}} {
			b.Run(fmt.Sprintf("n=%d/%s/sync-vs-raw", n, tc.name), func(b *testing.B) {
				if n > 2000 {
					heavy(b)
				}
				benchSyncVsRaw(b, n, tc.state)
			})
		}
		b.Run(fmt.Sprintf("n=%d/resync-noop", n), func(b *testing.B) {
			if n > 2000 {
				heavy(b)
			}
			set := syncSet(n, lb.BackendActive)
			d := load(b, syncOpts(n))
			if _, err := d.Sync(set); err != nil {
				b.Fatal(err)
			}
			var cpu time.Duration
			for b.Loop() {
				c0 := cpuTime()
				st, err := d.Sync(set)
				cpu += cpuTime() - c0
				if err != nil || st.Counts() != (SyncStats{}) {
					b.Fatalf("no-op resync wrote %+v, %v", st, err)
				}
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/sync")
		})
	}
}

func benchSyncVsRaw(b *testing.B, n int, state lb.BackendState) {
	set := syncSet(n, state)
	raw := rawFor(b, set)
	wantRows := n
	if state != lb.BackendActive {
		wantRows = 0
	}
	var syncT, rawT []time.Duration
	var cpu time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		dRaw, err := Load(syncOpts(n))
		if err != nil {
			b.Fatal(err)
		}
		dSync, err := Load(syncOpts(n))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		timeRaw := func() {
			t0 := time.Now()
			raw.write(b, dRaw)
			rawT = append(rawT, time.Since(t0))
		}
		timeSync := func() {
			c0, t0 := cpuTime(), time.Now()
			st, err := dSync.Sync(set)
			syncT = append(syncT, time.Since(t0))
			cpu += cpuTime() - c0
			if err != nil {
				b.Fatal(err)
			}
			if st.ServicesWritten != n || st.BackendsWritten != 4*n || st.RevNATWritten != 4*n || st.MaglevWritten != wantRows {
				b.Fatalf("sync wrote %+v", st)
			}
		}
		if i%2 == 0 {
			timeRaw()
			timeSync()
		} else {
			timeSync()
			timeRaw()
		}
		i++
		b.StopTimer()
		dRaw.Close()
		dSync.Close()
		b.StartTimer()
	}
	s, r := median(syncT), median(rawT)
	entries := float64(9 * n) // services + backends + reverse NAT
	b.ReportMetric(s.Seconds()*1e3, "sync-ms")
	b.ReportMetric(r.Seconds()*1e3, "raw-ms")
	b.ReportMetric(r.Seconds()/s.Seconds(), "raw/sync")
	b.ReportMetric(entries/s.Seconds(), "sync-svc+backend+revnat-entries/s")
	b.ReportMetric(entries/r.Seconds(), "raw-svc+backend+revnat-entries/s")
	b.ReportMetric(cpu.Seconds()/float64(len(syncT)), "sync-cpu-s")
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
