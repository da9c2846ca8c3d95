package lbipam

import (
	"fmt"
	"math/big"
	"net/netip"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	corev1 "k8s.io/api/core/v1"
)

// FuzzAllocator drives an allocator with pool edits, assignments, requests, sharing,
// addresses written into a known Service's status by another writer, and releases
// decoded from the input, and checks after every step: no address is held by two
// Services unless they share it under one key, every address handed out lies in a block of
// a pool that existed when it was handed out and is not a reserved first/last address, and
// the pool counts add up.
func FuzzAllocator(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{0x40, 0x41, 0x42, 0x80, 0x81, 0xc0, 0x01, 0x02, 0x03, 0xc1, 0x04})
	f.Add([]byte{0x33, 0x73, 0xb3, 0xf3, 0x13, 0x53, 0x93, 0xd3, 0x23, 0x63})
	f.Add([]byte{0x00, 0x41, 0x42, 0x43, 0x49, 0x4a, 0x4b, 0x59, 0x5a, 0x02, 0x4c, 0x4d})
	f.Fuzz(func(t *testing.T, ops []byte) {
		// Candidate blocks: overlapping ones make conflicts, /31 and /32 test the
		// reservation exemption.
		blocks := []string{"10.0.0.0/29", "10.0.0.4/30", "10.0.1.0/31", "10.0.2.7/32", "2001:db8::/125", "10.0.0.6-10.0.0.12"}
		a := NewAllocator()
		// handedOut records, per address, whether it was ever handed out as a new address
		// (not adopted) and where it must then have come from.
		valid := map[netip.Addr]bool{}
		markValid := func(p *ciliumv2.CiliumLoadBalancerIPPool) {
			bs, err := parseBlocks(p)
			if err != nil {
				return
			}
			for _, b := range bs {
				for ip := b.alloc.First(); ; ip = ip.Next() {
					valid[ip] = true
					if ip == b.alloc.Last() {
						break
					}
				}
			}
		}
		assigned := map[string][]netip.Addr{}
		for i, op := range ops {
			arg := int(op & 0x3f)
			switch op >> 6 {
			case 0: // set a pool
				name := fmt.Sprint("p", arg%3)
				p := testPool(t, name, arg%3, blocks[arg%len(blocks)])
				if arg&0x08 != 0 {
					noFirstLast(p)
				}
				p.Spec.Disabled = arg&0x20 != 0
				markValid(p)
				_ = a.SetPool(p)
			case 1, 2: // assign a service
				name := fmt.Sprint("s", arg%8)
				opts := []func(*corev1.Service){withPort(int32(80+arg%2), corev1.ProtocolTCP)}
				if arg&0x10 != 0 {
					opts = append(opts, withAnn("lbipam.cilium.io/sharing-key", "k"))
				}
				if op>>6 == 2 {
					opts = append(opts, withAnn("lbipam.cilium.io/ips", fmt.Sprintf("10.0.0.%d", arg%14)))
				}
				if arg&0x20 != 0 {
					opts = append(opts, withFamilies(corev1.IPFamilyPolicyPreferDualStack))
				}
				if _, known := assigned[name]; known && op>>6 == 1 && arg&0x08 != 0 {
					// Another writer puts an address of its choosing into the status.
					ip := fmt.Sprintf("10.0.0.%d", (arg*7)%14)
					opts = append(opts, func(s *corev1.Service) {
						s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
					})
				}
				heldBefore := map[netip.Addr]bool{}
				a.used.each(func(h *holding) { heldBefore[h.ip] = true })
				res := a.Assign(testSvc("ns", name, opts...))
				for _, ip := range res.IPs {
					if !valid[ip] {
						t.Fatalf("op %d: %s got %s, never in any pool block (reserved or outside)", i, name, ip)
					}
					if heldBefore[ip] {
						continue
					}
					// A newly handed out address comes from an enabled, valid pool now.
					r := a.rangeOf(ip)
					if r == nil || r.pool.disabled || r.pool.problem() != nil {
						t.Fatalf("op %d: %s got new address %s outside every enabled pool's allocatable blocks", i, name, ip)
					}
				}
				assigned[name] = res.IPs
			case 3: // release or delete a pool
				if arg&1 == 0 {
					name := fmt.Sprint("s", arg%8)
					a.Release("ns", name)
					delete(assigned, name)
				} else {
					a.DeletePool(fmt.Sprint("p", arg%3))
				}
			}
			checkInvariants(t, a)
		}
	})
}

// checkInvariants checks the allocator's books: every held address is held by Services
// that hold it back and are compatible; no free address is held; each pool's counts add up.
func checkInvariants(t *testing.T, a *Allocator) {
	t.Helper()
	seen := map[netip.Addr]*serviceState{}
	a.services.each(func(s *serviceState) {
		for _, ip := range s.ips {
			h, ok := a.held(ip)
			if !ok {
				t.Fatalf("%v holds %s, which is not in the used set", s.key, ip)
			}
			if o, dup := seen[ip]; dup {
				if ok, why := compatible(s, o); !ok {
					t.Fatalf("%s held by %v and %v: %s", ip, s.key, o.key, why)
				}
			}
			seen[ip] = s
			found := false
			for _, o := range h.holders {
				found = found || o == s
			}
			if !found {
				t.Fatalf("%s: holding lacks %v", ip, s.key)
			}
			if r := a.rangeOf(ip); r != nil && r.free.isFree(ip) {
				t.Fatalf("%s is held by %v and free in pool %s", ip, s.key, r.pool.name)
			}
		}
	})
	if a.used.len() != len(seen) {
		t.Fatalf("used set has %d addresses, services hold %d", a.used.len(), len(seen))
	}
	for _, name := range a.PoolNames() {
		st, _ := a.PoolStatus(name)
		if st.Used.Sign() < 0 || st.Available.Sign() < 0 || new(big.Int).Add(st.Used, st.Available).Cmp(st.Total) > 0 {
			t.Fatalf("pool %s: total %v used %v available %v", name, st.Total, st.Used, st.Available)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "10.0.0.1, 2001:db8::1", "", ",", "10.0.0.300", "fe80::1%eth0", "::ffff:10.0.0.1"} {
		f.Add(s, "key", "a,b,*")
	}
	f.Fuzz(func(t *testing.T, ips, key, xns string) {
		svc := testSvc("ns", "x", withAnn("lbipam.cilium.io/ips", ips), withAnn("lbipam.cilium.io/sharing-key", key),
			withAnn("lbipam.cilium.io/sharing-cross-namespace", xns))
		req, err := ParseRequest(svc)
		for i, ip := range req.IPs {
			if !ip.IsValid() || ip.Zone() != "" || ip.Is4In6() {
				t.Fatalf("%q: bad address %v", ips, ip)
			}
			if i > 0 && req.IPs[i-1].Compare(ip) >= 0 {
				t.Fatalf("%q: IPs not sorted and unique: %v", ips, req.IPs)
			}
		}
		if req.SharingKey != key {
			t.Fatalf("sharing key %q, want %q", req.SharingKey, key)
		}
		if err == nil && ips != "" && len(req.IPs) == 0 {
			t.Fatalf("%q: no error and no IPs", ips)
		}
		// Parsing is deterministic.
		again, err2 := ParseRequest(svc)
		if fmt.Sprint(again) != fmt.Sprint(req) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("not deterministic")
		}
	})
}

func FuzzParseBlock(f *testing.F) {
	for _, s := range [][3]string{{"10.0.0.0/29", "", ""}, {"", "10.10.200.1", "10.10.200.300"}, {"", "2001:db8::1", "2001:db8::9"},
		{"10.0.0.1/24", "", ""}, {"", "10.0.0.9", "10.0.0.1"}, {"::/0", "", ""}, {"", "1.2.3.4", ""}} {
		f.Add(s[0], s[1], s[2], true)
	}
	f.Fuzz(func(t *testing.T, cidr, start, stop string, reserve bool) {
		b, err := parseBlock(ciliumv2.CiliumLoadBalancerIPPoolIPBlock{Cidr: ciliumv2.IPv4orIPv6CIDR(cidr), Start: start, Stop: stop}, reserve)
		if err != nil {
			return
		}
		af, al, bf, bl := b.alloc.First(), b.alloc.Last(), b.bounds.First(), b.bounds.Last()
		if !af.IsValid() || af.BitLen() != al.BitLen() || al.Less(af) {
			t.Fatalf("bad alloc range %s-%s", af, al)
		}
		if !b.bounds.Contains(af) || !b.bounds.Contains(al) {
			t.Fatalf("alloc %s-%s outside bounds %s-%s", af, al, bf, bl)
		}
		if cidr != "" {
			p := netip.MustParsePrefix(cidr).Masked()
			if bf != p.Addr() || !p.Contains(bl) || (bl.Next().IsValid() && p.Contains(bl.Next())) {
				t.Fatalf("%s: bounds %s-%s", cidr, bf, bl)
			}
			reserved := reserve && p.Bits() < p.Addr().BitLen()-1
			if reserved != (b.alloc != b.bounds) {
				t.Fatalf("%s reserve=%v: alloc %s-%s bounds %s-%s", cidr, reserve, af, al, bf, bl)
			}
		}
	})
}
