package datapath

import (
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// BenchmarkEgressPrograms times one packet of the egress gateway programs per test run
// (see benchProg): the steering program on a miss and on an excluded CIDR, the SNAT of
// an established flow (connection table hit) and the reverse SNAT of its reply.
func BenchmarkEgressPrograms(b *testing.B) {
	d := load(b, nil)
	if _, err := d.SyncEgress(egwEntries(egwGW1)); err != nil {
		b.Fatal(err)
	}
	if err := d.SetEgressNodeIP(egwGW1.IP); err != nil {
		b.Fatal(err)
	}
	src := netip.AddrPortFrom(egwPod, 40000)
	out := packet(src, egwExt, lb.TCP, false)
	reply := packet(egwExt, netip.AddrPortFrom(egwGW1.EgressIP, 40000), lb.TCP, false)
	if ret, _, err := d.EgressSNATProgram().Test(out); err != nil || ret != tcOK {
		b.Fatalf("first SNAT: %d, %v", ret, err)
	}
	b.Run("steer-miss", func(b *testing.B) {
		benchProg(b, d.EgressSteerProgram(), packet(netip.MustParseAddrPort("10.245.9.9:1"), egwExt, lb.TCP, false), tcOK)
	})
	b.Run("steer-excluded", func(b *testing.B) {
		benchProg(b, d.EgressSteerProgram(), packet(src, netip.MustParseAddrPort("192.168.30.5:80"), lb.TCP, false), tcOK)
	})
	b.Run("snat-established", func(b *testing.B) { benchProg(b, d.EgressSNATProgram(), out, tcOK) })
	b.Run("revsnat", func(b *testing.B) { benchProg(b, d.EgressRevSNATProgram(), reply, tcOK) })
}
