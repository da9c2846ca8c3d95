package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// The benchmarks in this file measure the agent binary as an operator runs it: one
// process, started with `ip netns exec` in a node namespace, attached in XDP mode to the
// node's veth that faces a client namespace, fed by one remote cluster's real TLS etcd
// (hk; no API server, as in TestKvstoreOnly), with nothing pinned. Every number comes
// from the process itself (/proc/<pid>) or from real TCP connections through its
// datapath.

const (
	// procServices is how many services hk's kvstore holds, each with 3 backends. A
	// -race build keeps it: the agent binary is built without the race detector, and the
	// test's own etcd and exporter write and serve 10,000 services in seconds under it.
	procServices = 10000
	// procMaxServices and procMaxBackends size the agent's maps (as BenchmarkStart).
	procMaxServices = 16384
	procMaxBackends = 65536
	// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, 100 on every
	// architecture Linux and Go share.
	userHZ = 100
)

// smokeRun reports whether the benchmarks run once each (-benchtime=1x, CI's smoke run).
func smokeRun() bool {
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() == "1x"
}

// procLab is the benchmarks' network: a client namespace joined by a veth pair to the
// node namespace, where the agent runs attached to the node's side (clientIface), and a
// backend namespace behind the node whose eth0 holds the echo backends' addresses. The
// node forwards between its veths. hk's etcd runs in the test's own namespace and is
// reached from the node through a forwarder (kvEndpoint).
type procLab struct {
	client, node, backend *netns
	clientIface           string
	// echo are the addresses of the backend namespace's echo servers behind the VIP;
	// direct are the same servers' second ports, for connections that bypass the load
	// balancer. They must differ: the reverse NAT is stateless, keyed by backend address
	// and port, so every reply from an echo address is rewritten to the VIP, whoever
	// connected.
	echo, direct []netip.AddrPort
	kv           *kvCluster
	// kvEndpoint is hk's etcd as the node namespace reaches it (host:port).
	kvEndpoint string
	// caFile, certFile and keyFile are the PEM files of the agent's client certificate.
	caFile, certFile, keyFile string
	dir                       string
}

// newProcLab builds the namespaces, starts hk's etcd and echo servers on 10.51.1.2-4,
// ports 8080 (echo) and 8081 (direct), in the backend namespace. Cleanups remove
// everything.
func newProcLab(tb testing.TB) *procLab {
	tb.Helper()
	l := &procLab{client: newNetns(tb, "pclient"), node: newNetns(tb, "pnode"), backend: newNetns(tb, "pbackend"),
		clientIface: "n-client", dir: tb.TempDir()}
	l.node.sysctl(tb, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
	run(tb, "ip", "link", "add", "eth0", "netns", l.client.name, "type", "veth", "peer", "name", l.clientIface, "netns", l.node.name)
	l.client.ip(tb, "addr", "add", clientIP.String()+"/24", "dev", "eth0")
	l.client.ip(tb, "link", "set", "eth0", "up")
	l.client.ip(tb, "route", "add", "default", "via", "10.50.0.1")
	l.node.ip(tb, "addr", "add", "10.50.0.1/24", "dev", l.clientIface)
	l.node.ip(tb, "link", "set", l.clientIface, "up")
	run(tb, "ip", "link", "add", "eth0", "netns", l.backend.name, "type", "veth", "peer", "name", "n-backend", "netns", l.node.name)
	l.node.ip(tb, "addr", "add", "10.51.1.1/24", "dev", "n-backend")
	l.node.ip(tb, "link", "set", "n-backend", "up")
	for i := range 3 {
		a := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 51, 1, byte(2 + i)}), 8080)
		l.backend.ip(tb, "addr", "add", a.Addr().String()+"/24", "dev", "eth0")
		l.echo = append(l.echo, a)
		l.direct = append(l.direct, netip.AddrPortFrom(a.Addr(), 8081))
	}
	l.backend.ip(tb, "link", "set", "eth0", "up")
	l.backend.ip(tb, "route", "add", "default", "via", "10.51.1.1")
	for _, a := range slices.Concat(l.echo, l.direct) {
		l.backend.echoServer(tb, a)
	}

	et := testenv.StartEtcd(tb, &testenv.EtcdOptions{TLS: true})
	tc, err := et.ClientTLS()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: []string{et.Endpoint}, TLS: tc})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cli.Close() })
	ex, err := kvstore.NewExporter(cli, hk, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := ex.PutClusterConfig(ctx, kvstore.Capabilities{SyncedCanaries: true, MaxConnectedClusters: 255}); err != nil {
		tb.Fatal(err)
	}
	l.kv = &kvCluster{etcd: et, cli: cli, ex: ex}
	l.kvEndpoint = l.node.forward(tb, strings.TrimPrefix(et.Endpoint, "https://"))
	write := func(name string, data []byte) string {
		p := filepath.Join(l.dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	l.caFile, l.certFile, l.keyFile = write("ca.crt", et.CA.CertPEM), write("tls.crt", et.ClientCert.CertPEM), write("tls.key", et.ClientCert.KeyPEM)
	return l
}

// export writes n services into hk's kvstore and marks it synced: svc-0 .. svc-<n-1> in
// namespaces ns-0 .. ns-49, frontend 10.100.<i/250>.<i%250+1>:80/TCP with backends at
// the same host part in 10.101, 10.102 and 10.103 (port 8080; nothing answers there).
// With echo, the last of the n is instead "echo" in namespace "default", frontend vip,
// backends echo.
func (l *procLab) export(tb testing.TB, n int, echo []netip.AddrPort) {
	tb.Helper()
	addr := func(a byte, i int, port uint16) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, a, byte(i / 250), byte(i%250 + 1)}), port)
	}
	svcs := make([]*kvstore.ClusterService, 0, n)
	fillers := n
	if echo != nil {
		fillers--
	}
	for i := range fillers {
		s := kvstore.NewClusterService(hk, fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("svc-%d", i))
		s.AddFrontend(lb.Frontend{Addr: addr(100, i, 80), Protocol: lb.TCP}, "http")
		for _, a := range []byte{101, 102, 103} {
			s.AddBackend(lb.Backend{Addr: addr(a, i, 8080), Protocol: lb.TCP}, "http")
		}
		svcs = append(svcs, s)
	}
	if echo != nil {
		s := kvstore.NewClusterService(hk, "default", "echo")
		s.AddFrontend(lb.Frontend{Addr: vip, Protocol: lb.TCP}, "http")
		for _, a := range echo {
			s.AddBackend(lb.Backend{Addr: a, Protocol: lb.TCP}, "http")
		}
		svcs = append(svcs, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := l.kv.ex.Upsert(ctx, svcs...); err != nil {
		tb.Fatal(err)
	}
	if err := l.kv.ex.MarkSynced(ctx); err != nil {
		tb.Fatal(err)
	}
}

// config writes the agent's configuration for Maglev table size m and returns its path.
func (l *procLab) config(tb testing.TB, m uint32) string {
	tb.Helper()
	p := filepath.Join(l.dir, fmt.Sprintf("config-%d.yaml", m))
	cfg := fmt.Sprintf(`cluster: {name: tokyo}
clusters: [{name: hk, endpoints: ["https://%s"], tls: {ca: %s, cert: %s, key: %s}}]
datapath: {maglevTableSize: %d, maxServices: %d, maxBackends: %d, interfaces: [{name: %s, mode: xdp}]}
sync: {timeout: 60s}
`, l.kvEndpoint, l.caFile, l.certFile, l.keyFile, m, procMaxServices, procMaxBackends, l.clientIface)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// startAgent starts the agent with configuration cfg in the node namespace and returns
// it with the time just before the exec.
func (l *procLab) startAgent(tb testing.TB, bin, cfg string) (*agentProc, time.Time) {
	tb.Helper()
	t0 := time.Now()
	return startAgentProc(tb, bin, l.node, "-config", cfg), t0
}

// readyAfter polls /readyz every 5 ms until it answers 200 (failing after 90 s or when
// the process exits) and returns the time since t0.
func readyAfter(tb testing.TB, p *agentProc, t0 time.Time) time.Duration {
	tb.Helper()
	deadline := t0.Add(90 * time.Second)
	for {
		code, body, err := p.get("/readyz")
		if err == nil && code == http.StatusOK {
			return time.Since(t0)
		}
		select {
		case <-p.exited:
			tb.Fatalf("agent exited before ready: %v\n%s", p.err, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("agent not ready after 90 s (last: %d %q %v)\n%s", code, body, err, p.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkMetrics scrapes /metrics once and fails, with the agent's log, unless every series
// in want has its value. One scrape suffices: the agent answers 200 on /readyz only after
// it has set the gauges of the write that made it ready.
func checkMetrics(tb testing.TB, p *agentProc, want map[string]float64) {
	tb.Helper()
	code, body, err := p.get("/metrics")
	if err != nil || code != http.StatusOK {
		tb.Fatalf("GET /metrics: %d %v", code, err)
	}
	var wrong []string
	for series, w := range want {
		if got, ok := metricValue(body, series); !ok || got != w {
			wrong = append(wrong, fmt.Sprintf("%s = %v (present: %v), want %v", series, got, ok, w))
		}
	}
	if wrong != nil {
		slices.Sort(wrong)
		tb.Fatalf("right after ready:\n%s\nagent log:\n%s", strings.Join(wrong, "\n"), p.logs)
	}
}

// stopAgent sends SIGTERM and fails unless the agent exits with code 0 within 30 s.
func stopAgent(tb testing.TB, p *agentProc) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		tb.Fatalf("agent did not exit within 30 s of SIGTERM\n%s", p.logs)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		tb.Fatalf("agent exit code %d after SIGTERM, want 0\n%s", ee.ExitCode(), p.logs)
	}
	if p.err != nil {
		tb.Fatal(p.err)
	}
}

// procStatus returns the fields of /proc/<pid>/status named in keys (VmHWM, VmRSS),
// in bytes; the kernel reports them in kB.
func procStatus(tb testing.TB, pid int, keys ...string) map[string]float64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !slices.Contains(keys, k) {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			tb.Fatalf("/proc/%d/status: unexpected %q", pid, line)
		}
		n, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			tb.Fatalf("/proc/%d/status: %q: %v", pid, line, err)
		}
		out[k] = n * 1024
	}
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			tb.Fatalf("/proc/%d/status has no %s", pid, k)
		}
	}
	return out
}

// procCPU returns the user plus system CPU time of process pid (all its threads) from
// /proc/<pid>/stat, at the kernel's resolution of 1/userHZ s.
func procCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces: the fields
	// after its closing parenthesis start with field 3 (state); utime and stime are
	// fields 14 and 15.
	_, rest, ok := cutLast(string(b), ")")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		tb.Fatalf("/proc/%d/stat: unexpected %q", pid, b)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			tb.Fatalf("/proc/%d/stat: %q: %v", pid, s, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// cutLast slices s around the last instance of sep, like strings.Cut around the first.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// checkIsAgent fails unless process pid runs the agent binary bin.
func checkIsAgent(tb testing.TB, pid int, bin string) {
	tb.Helper()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		tb.Fatal(err)
	}
	if exe != bin {
		tb.Fatalf("process %d runs %s, want the agent %s", pid, exe, bin)
	}
}

// BenchmarkProcess10k starts the agent process against hk's kvstore holding 10,000
// services with 3 backends each, on empty maps (nothing pinned), and reports per start:
//
//   - ready-ms: wall time from the exec to the first 200 of /readyz (polled every 5 ms,
//     so up to 5 ms late): loading the datapath, connecting, listing the kvstore, merging
//     and writing the maps;
//   - hwm-MiB: the process's peak resident set, VmHWM of /proc/<pid>/status, read at the
//     end of the idle window;
//   - idle-cpu-ms/s: CPU time (user + system, all threads, from /proc/<pid>/stat) per
//     second of wall time over the idle window that follows ready, with no change in the
//     kvstore and no scrape, summed over all starts: the kernel counts in 10 ms ticks, so
//     one start's 10 s window resolves 1 ms/s;
//   - rss-MiB: VmRSS at the end of the idle window.
//
// The idle window is 10 s, 2 s under -benchtime=1x (the CI smoke run). Each start must
// reach ready with every service and backend programmed (the services and backends
// metrics), be the agent binary itself, and exit 0 on SIGTERM. The sub-benchmarks set
// the Maglev table size M: 1021, and Cilium's default 16381, whose 10,000 rows of 16381
// slots take seconds to build and about 1.3 GB of kernel memory, so the smoke run skips
// it. Under -race (the smoke run too) the sizes stay: the agent binary is built without
// the race detector, only the test's etcd that serves it runs slower.
func BenchmarkProcess10k(b *testing.B) {
	testenv.RequirePrivileged(b)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(b, "iproute2 (ip) not installed")
	}
	bin := agentBinary(b)
	const n = procServices
	l := newProcLab(b)
	l.export(b, n, nil)
	idle := 10 * time.Second
	if smokeRun() {
		idle = 2 * time.Second
	}
	for _, m := range []uint32{1021, 16381} {
		b.Run(fmt.Sprintf("M=%d", m), func(b *testing.B) {
			if smokeRun() && m > 1021 {
				b.Skip("M=16381 takes seconds per start; run with -benchtime=2x or more")
			}
			cfg := l.config(b, m)
			var ready, cpu, wall time.Duration
			var hwm, rss float64
			for b.Loop() {
				p, t0 := l.startAgent(b, bin, cfg)
				r := readyAfter(b, p, t0)
				pid := p.cmd.Process.Pid
				checkIsAgent(b, pid, bin)
				checkMetrics(b, p, map[string]float64{
					"ciliumkit_thin_agent_services":                           float64(n),
					`ciliumkit_thin_agent_backends{side="remote"}`:            float64(3 * n),
					`ciliumkit_thin_agent_source_synced{source="kvstore/hk"}`: 1,
					`ciliumkit_thin_agent_syncs_total{result="error"}`:        0,
				})
				c0, w0 := procCPU(b, pid), time.Now()
				time.Sleep(idle)
				c1, w1 := procCPU(b, pid), time.Now()
				st := procStatus(b, pid, "VmHWM", "VmRSS")
				stopAgent(b, p)
				b.Logf("M=%d: ready after %v, VmHWM %.1f MiB, idle %.2f ms CPU/s over %v, VmRSS %.1f MiB",
					m, r.Round(time.Millisecond), st["VmHWM"]/(1<<20), float64((c1-c0).Microseconds())/1000/w1.Sub(w0).Seconds(),
					w1.Sub(w0).Round(time.Millisecond), st["VmRSS"]/(1<<20))
				ready += r
				cpu += c1 - c0
				wall += w1.Sub(w0)
				hwm += st["VmHWM"]
				rss += st["VmRSS"]
			}
			per := float64(b.N)
			b.ReportMetric(float64(ready.Microseconds())/1000/per, "ready-ms")
			b.ReportMetric(hwm/(1<<20)/per, "hwm-MiB")
			b.ReportMetric(float64(cpu.Microseconds())/1000/wall.Seconds(), "idle-cpu-ms/s")
			b.ReportMetric(rss/(1<<20)/per, "rss-MiB")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// connectSamples is how many connections BenchmarkConnectVIPvsDirect times per
// iteration, to the VIP and, as many, directly to a backend.
const connectSamples = 200

// connectEcho opens a TCP connection to dst, sends one byte, waits for its echo and
// closes, and returns how long that took. It runs on the calling thread's network
// namespace.
func connectEcho(dst netip.AddrPort, b byte) (time.Duration, error) {
	t0 := time.Now()
	c, err := net.DialTimeout("tcp", dst.String(), 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(t0.Add(5 * time.Second))
	if _, err := c.Write([]byte{b}); err != nil {
		return 0, err
	}
	var got [1]byte
	if _, err := io.ReadFull(c, got[:]); err != nil {
		return 0, fmt.Errorf("echo from %v: %w", dst, err)
	}
	if got[0] != b {
		return 0, fmt.Errorf("echo from %v: %#x, want %#x", dst, got[0], b)
	}
	if err := c.Close(); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// percentile returns the p-th percentile (0 < p <= 1, nearest rank) of sorted, which
// must not be empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// BenchmarkConnectVIPvsDirect measures, from the client namespace, the setup latency of
// a TCP connection through the agent's XDP load balancer against one straight to a
// backend, in the same run: connect, send one byte, read its echo, close. The VIP
// (10.96.0.10:80) is one of the 10,000 services in hk's kvstore (M=1021), with three
// echo backends in a namespace behind the node; the direct connections go to the same
// three servers in turn, on a second port (8081: the stateless reverse NAT rewrites
// every reply from a VIP backend's own address and port to the VIP). Both kinds cross
// the same veths and the node's forwarding, and both pass the XDP program (the direct
// ones match no service), so the difference is the load balancer's DNAT and reverse
// NAT. After 10 warm-up pairs, each iteration makes connectSamples connections of each
// kind, interleaved (the order within a pair alternating), all from one OS thread. It
// reports percentiles over all iterations' connections in µs (vip-p50-us, vip-p90-us,
// direct-p50-us, direct-p90-us) and vip/direct-p50, the ratio of the medians. The VIP
// must lead nowhere before the agent runs, and every connection must echo its byte.
// Under -race (CI's smoke run, -benchtime=1x) the sizes stay: the timing code then runs
// under the race detector and its numbers mean little.
func BenchmarkConnectVIPvsDirect(b *testing.B) {
	testenv.RequirePrivileged(b)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(b, "iproute2 (ip) not installed")
	}
	bin := agentBinary(b)
	const n = procServices
	l := newProcLab(b)
	l.export(b, n, l.echo)
	// No address in the lab is the VIP: before the agent runs it leads nowhere, and
	// afterwards only the load balancer's DNAT can echo.
	if c, err := l.client.dial("tcp", vip.String(), time.Second); err == nil {
		c.Close()
		b.Fatalf("connected to %v before the agent ran", vip)
	}
	p, t0 := l.startAgent(b, bin, l.config(b, 1021))
	b.Logf("agent ready after %v", readyAfter(b, p, t0).Round(time.Millisecond))
	checkMetrics(b, p, map[string]float64{
		"ciliumkit_thin_agent_services":                float64(n),
		`ciliumkit_thin_agent_backends{side="remote"}`: float64(3 * n),
	})
	var vipT, directT []time.Duration
	pairs := func(k int, keep bool) error {
		return l.client.do(func() error {
			for i := range k {
				direct := l.direct[i%len(l.direct)]
				order := []netip.AddrPort{vip, direct}
				if i%2 == 1 {
					order = []netip.AddrPort{direct, vip}
				}
				for _, dst := range order {
					d, err := connectEcho(dst, byte(i))
					if err != nil {
						return fmt.Errorf("pair %d: %w", i, err)
					}
					if !keep {
						continue
					}
					if dst == vip {
						vipT = append(vipT, d)
					} else {
						directT = append(directT, d)
					}
				}
			}
			return nil
		})
	}
	if err := pairs(10, false); err != nil {
		b.Fatalf("warm-up: %v\n%s", err, p.logs)
	}
	for b.Loop() {
		if err := pairs(connectSamples, true); err != nil {
			b.Fatalf("%v\n%s", err, p.logs)
		}
	}
	if len(vipT) != connectSamples*b.N || len(directT) != connectSamples*b.N {
		b.Fatalf("%d VIP and %d direct samples, want %d each", len(vipT), len(directT), connectSamples*b.N)
	}
	slices.Sort(vipT)
	slices.Sort(directT)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
	b.ReportMetric(us(percentile(vipT, 0.5)), "vip-p50-us")
	b.ReportMetric(us(percentile(vipT, 0.9)), "vip-p90-us")
	b.ReportMetric(us(percentile(directT, 0.5)), "direct-p50-us")
	b.ReportMetric(us(percentile(directT, 0.9)), "direct-p90-us")
	b.ReportMetric(float64(percentile(vipT, 0.5))/float64(percentile(directT, 0.5)), "vip/direct-p50")
	b.ReportMetric(0, "ns/op")
	stopAgent(b, p)
}
