//go:build linux

package arpprobe

import (
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// ARP operation codes (RFC 826).
const (
	OpRequest uint16 = 1
	OpReply   uint16 = 2
)

// FrameLen is the length in bytes of an Ethernet/IPv4 ARP frame without padding: a
// 14-byte Ethernet header and a 28-byte ARP packet.
const FrameLen = 42

// Frame is an Ethernet/IPv4 ARP packet seen by a Prober.
type Frame struct {
	// At is when the Prober read the frame from its socket (zero from Parse).
	At time.Time
	// Op is the ARP operation: OpRequest or OpReply.
	Op uint16
	// SHA and THA are the sender and target hardware (MAC) addresses, 6 bytes each.
	SHA, THA net.HardwareAddr
	// SPA and TPA are the sender and target IPv4 addresses.
	SPA, TPA netip.Addr
}

// Parse parses an Ethernet frame carrying an ARP packet for Ethernet hardware (type 1)
// and IPv4 (protocol 0x0800). It reports false for anything else, including frames
// shorter than FrameLen bytes; bytes past FrameLen (padding) are ignored. The returned
// addresses do not alias b.
func Parse(b []byte) (Frame, bool) {
	if len(b) < FrameLen || binary.BigEndian.Uint16(b[12:]) != unix.ETH_P_ARP || binary.BigEndian.Uint16(b[14:]) != 1 ||
		binary.BigEndian.Uint16(b[16:]) != unix.ETH_P_IP || b[18] != 6 || b[19] != 4 {
		return Frame{}, false
	}
	return Frame{
		Op:  binary.BigEndian.Uint16(b[20:]),
		SHA: net.HardwareAddr(slices.Clone(b[22:28])), SPA: netip.AddrFrom4([4]byte(b[28:32])),
		THA: net.HardwareAddr(slices.Clone(b[32:38])), TPA: netip.AddrFrom4([4]byte(b[38:42])),
	}, true
}

// request returns a broadcast ARP request from mac/ip for target.
func request(mac net.HardwareAddr, ip, target netip.Addr) []byte {
	b := make([]byte, FrameLen)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], unix.ETH_P_ARP)
	copy(b[14:22], []byte{0, 1, 8, 0, 6, 4, 0, byte(OpRequest)})
	copy(b[22:28], mac)
	src, dst := ip.As4(), target.As4()
	copy(b[28:32], src[:])
	copy(b[38:42], dst[:])
	return b
}
