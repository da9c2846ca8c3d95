package encryption

import (
	"net"
	"net/netip"
)

// prefixToIPNet converts p to the net.IPNet wgctrl takes, 4-byte for IPv4.
func prefixToIPNet(p netip.Prefix) net.IPNet {
	return net.IPNet{
		IP:   p.Addr().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}
}

// udpAddr converts ap to the *net.UDPAddr wgctrl takes; nil for the zero AddrPort.
func udpAddr(ap netip.AddrPort) *net.UDPAddr {
	if !ap.IsValid() {
		return nil
	}
	return net.UDPAddrFromAddrPort(ap)
}
