package l2

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"time"
)

// EtherTypes of the frames an Announcer sends.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
)

var (
	broadcastMAC   = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	allNodesMAC    = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1} // ff02::1
	allNodesIPv6   = netip.MustParseAddr("ff02::1")
	naOverrideFlag = uint32(1) << 29
)

// gratuitousARP returns an ARP announcement (RFC 5227 section 2.3) of ip at mac as a
// broadcast Ethernet frame: an ARP request whose sender and target protocol addresses are
// both ip, with a zero target hardware address. Neighbours that have ip in their cache
// repoint it to mac.
func gratuitousARP(mac net.HardwareAddr, ip netip.Addr) []byte {
	b := make([]byte, 42)
	copy(b[0:6], broadcastMAC)
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], etherTypeARP)
	binary.BigEndian.PutUint16(b[14:], 1) // hardware: Ethernet
	binary.BigEndian.PutUint16(b[16:], 0x0800)
	b[18], b[19] = 6, 4
	binary.BigEndian.PutUint16(b[20:], 1) // request
	copy(b[22:28], mac)
	a := ip.As4()
	copy(b[28:32], a[:])
	copy(b[38:42], a[:]) // target hardware address b[32:38] stays zero
	return b
}

// unsolicitedNA returns an unsolicited Neighbor Advertisement (RFC 4861 section 7.2.6)
// of ip at mac to all nodes (ff02::1), from ip itself, with the Override flag and the
// target link-layer address option, as an Ethernet frame.
func unsolicitedNA(mac net.HardwareAddr, ip netip.Addr) []byte {
	const ethLen, ipLen, icmpLen = 14, 40, 32
	b := make([]byte, ethLen+ipLen+icmpLen)
	copy(b[0:6], allNodesMAC)
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], etherTypeIPv6)
	h := b[ethLen:]
	h[0] = 0x60 // version 6
	binary.BigEndian.PutUint16(h[4:], icmpLen)
	h[6], h[7] = 58, 255 // ICMPv6, hop limit 255 as RFC 4861 requires
	src, dst := ip.As16(), allNodesIPv6.As16()
	copy(h[8:24], src[:])
	copy(h[24:40], dst[:])
	m := h[ipLen:]
	m[0] = 136 // Neighbor Advertisement, code 0
	binary.BigEndian.PutUint32(m[4:], naOverrideFlag)
	copy(m[8:24], src[:])
	m[24], m[25] = 2, 1 // target link-layer address, 8 bytes
	copy(m[26:32], mac)
	binary.BigEndian.PutUint16(m[2:], icmpv6Checksum(src, dst, m))
	return b
}

// icmpv6Checksum is the Internet checksum of msg (checksum field zero) with the IPv6
// pseudo-header (RFC 8200 section 8.1).
func icmpv6Checksum(src, dst [16]byte, msg []byte) uint16 {
	var sum uint32
	add := func(p []byte) {
		for i := 0; i+1 < len(p); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(p[i:]))
		}
		if len(p)%2 == 1 {
			sum += uint32(p[len(p)-1]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	var l [8]byte
	binary.BigEndian.PutUint32(l[0:], uint32(len(msg)))
	l[7] = 58
	add(l[:])
	add(msg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// gratuitousFrame returns the frame that announces e and its EtherType.
func gratuitousFrame(e ResponderEntry) ([]byte, uint16) {
	if e.IP.Is4() {
		return gratuitousARP(e.MAC, e.IP), etherTypeARP
	}
	return unsolicitedNA(e.MAC, e.IP), etherTypeIPv6
}

// gratuitous announces entries, GratuitousCount times each at GratuitousInterval, while
// they are still held and ctx lasts. Send failures are logged.
func (a *Announcer) gratuitous(ctx context.Context, entries []ResponderEntry) {
	for i := range a.opts.GratuitousCount {
		if i > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(a.opts.GratuitousInterval):
			}
		}
		for _, e := range entries {
			if !a.isHeld(e) {
				continue
			}
			frame, proto := gratuitousFrame(e)
			if err := a.link.send(e.Ifindex, frame, proto); err != nil {
				a.log.Warn("gratuitous announcement failed", "entry", e.String(), "error", err)
			}
		}
	}
}
