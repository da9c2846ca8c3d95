package ipam_test

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/ipam"
)

func ExampleCIDRAllocator() {
	// hk already uses 10.245.0.0/16; hand out /16 pod ranges from 10.240.0.0/12 around it.
	a := ipam.NewCIDRAllocator([]netip.Prefix{netip.MustParsePrefix("10.245.0.0/16")})
	pool := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/14")}
	for range 4 {
		p, err := a.Allocate(pool, 16)
		fmt.Println(p, err)
	}
	_, err := a.Allocate(pool, 16)
	fmt.Println(err)
	// Output:
	// 10.244.0.0/16 <nil>
	// 10.246.0.0/16 <nil>
	// 10.247.0.0/16 <nil>
	// invalid Prefix ipam: CIDR pool exhausted: no free /16 in pools [10.244.0.0/14]
	// ipam: CIDR pool exhausted: no free /16 in pools [10.244.0.0/14]
}

func ExampleCIDROverlaps() {
	ps := []netip.Prefix{
		netip.MustParsePrefix("10.13.0.0/16"),
		netip.MustParsePrefix("10.14.0.0/16"),
		netip.MustParsePrefix("10.0.0.0/8"),
	}
	fmt.Println(ipam.CIDROverlaps(ps))
	// Output: [[0 2] [1 2]]
}
