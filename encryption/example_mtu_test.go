package encryption_test

import (
	"fmt"

	"github.com/ciliumkit/ciliumkit/encryption"
)

func ExampleWireGuardPodMTU() {
	for _, c := range []encryption.MTUConfig{
		{DeviceMTU: 1500},
		{DeviceMTU: 1500, Tunnel: encryption.TunnelVXLAN},
		{DeviceMTU: 9001, Tunnel: encryption.TunnelGeneve, OuterIPv6: true},
		{DeviceMTU: 1400, PodIPv6: true},
		{DeviceMTU: 1350, PodIPv6: true},
	} {
		mtu, err := encryption.WireGuardPodMTU(c)
		fmt.Println(mtu, err)
	}
	// Output:
	// 1420 <nil>
	// 1370 <nil>
	// 8851 <nil>
	// 1320 <nil>
	// 0 encryption: invalid MTU: device MTU 1350 leaves pod MTU 1270 after 80 bytes of overhead, below the IPv6 minimum 1280
}
