package datapath

import (
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// benchProg times one packet per BPF_PROG_TEST_RUN (repeat=1, so every run sees the
// original packet, not the one the previous run rewrote) and reports the kernel-measured
// ns/packet, which includes the test-run overhead.
// The median (p50) is also reported: on a shared machine the mean includes runs that
// were interrupted.
func benchProg(b *testing.B, p *ebpf.Program, in []byte, want uint32) {
	var total time.Duration
	var durs []time.Duration
	for b.Loop() {
		ret, dur, err := p.Benchmark(in, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		if ret != want {
			b.Fatalf("verdict %d, want %d", ret, want)
		}
		total += dur
		durs = append(durs, dur)
	}
	slices.Sort(durs)
	b.ReportMetric(float64(total.Nanoseconds())/float64(len(durs)), "ns/packet")
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "ns/packet-p50")
}

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
	// Neither IPv4 nor ARP: the program returns after reading the EtherType, so this is
	// the cost of BPF_PROG_TEST_RUN itself.
	b.Run("baseline-non-ip", func(b *testing.B) { benchProg(b, d.XDPProgram(), lldp, xdpPass) })
	b.Run("hit", func(b *testing.B) { benchProg(b, d.XDPProgram(), hit, xdpPass) })
	b.Run("miss", func(b *testing.B) { benchProg(b, d.XDPProgram(), miss, xdpPass) })
	b.Run("tc-hit", func(b *testing.B) { benchProg(b, d.TCIngressProgram(), hit, tcOK) })
}

// BenchmarkSync100k times a full sync of 100,000 services with 4 backends each into empty
// maps (Maglev M=251) and reports the write rate of service, backend and reverse NAT
// entries (time outside Maglev work) and of Maglev rows on their own. The no-rows case
// has every backend in maintenance, so no Maglev row is built: its entries per CPU
// second measure the service, backend and reverse NAT work independently of how busy
// the machine is.
func BenchmarkSync100k(b *testing.B) {
	for _, tc := range []struct {
		name  string
		state lb.BackendState
	}{{"maglev-251", lb.BackendActive}, {"no-rows", lb.BackendMaintenance}} {
		b.Run(tc.name, func(b *testing.B) { benchSync(b, tc.state) })
	}
}

func benchSync(b *testing.B, state lb.BackendState) {
	set := make([]Service, 100000)
	for i := range set {
		vip := netip.AddrFrom4([4]byte{10, 96 + byte(i>>16), byte(i >> 8), byte(i)})
		s := Service{Frontend: lb.Frontend{Addr: netip.AddrPortFrom(vip, 80), Protocol: lb.TCP}}
		for j := range 4 {
			a := netip.AddrFrom4([4]byte{10, 200 + byte(i>>16), byte(i >> 8), byte(i)})
			s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.AddrPortFrom(a, uint16(8000+j)), Protocol: lb.TCP, State: state}})
		}
		set[i] = s
	}
	wantRows := 100000
	if state != lb.BackendActive {
		wantRows = 0
	}
	var lbTime, mgTime, cpu time.Duration
	var lbEntries, rows int
	for b.Loop() {
		b.StopTimer()
		d := load(b, &Options{MaglevTableSize: 251, MaxServices: 100000, MaxBackends: 400000})
		b.StartTimer()
		c0 := cpuTime()
		st, err := d.Sync(set)
		cpu += cpuTime() - c0
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if st.ServicesWritten != 100000 || st.BackendsWritten != 400000 || st.RevNATWritten != 400000 || st.MaglevWritten != wantRows {
			b.Fatalf("sync wrote %+v", st)
		}
		lbTime += st.Duration - st.MaglevDuration
		mgTime += st.MaglevDuration
		lbEntries += st.ServicesWritten + st.BackendsWritten + st.RevNATWritten
		rows += st.MaglevWritten
		d.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(lbEntries)/lbTime.Seconds(), "svc+backend+revnat-entries/s")
	if rows > 0 {
		b.ReportMetric(float64(rows)/mgTime.Seconds(), "maglev-rows/s")
	} else {
		b.ReportMetric(float64(lbEntries)/cpu.Seconds(), "entries/cpu-s")
	}
	// On a shared machine wall time includes waiting for a CPU; the process's CPU time
	// (user + system, all threads) per sync shows the work itself.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/sync")
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBatchUpdateBaseline writes 400,000 reverse NAT entries into a fresh map with
// one BatchUpdate and nothing else: the kernel's own rate on this machine, to read the
// sync figures against.
func BenchmarkBatchUpdateBaseline(b *testing.B) {
	keys := make([]revnatKey, 400000)
	vals := make([]revnatVal, len(keys))
	for i := range keys {
		keys[i] = revnatKey{Addr: uint32(i + 1), Port: 80, Proto: 6}
		vals[i] = revnatVal{Vip: uint32(i), Port: 80, SvcId: uint32(i)}
	}
	var wall time.Duration
	for b.Loop() {
		b.StopTimer()
		d := load(b, &Options{MaglevTableSize: 251, MaxServices: 16, MaxBackends: 400000})
		b.StartTimer()
		t0 := time.Now()
		if _, err := d.objs.CikLbRevnat.BatchUpdate(keys, vals, nil); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		b.StopTimer()
		d.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(keys)*b.N)/wall.Seconds(), "entries/s")
}
