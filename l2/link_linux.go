package l2

import (
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// packetLink is an AF_PACKET socket that receives nothing (protocol 0) and sends frames
// on any interface of the network namespace it was opened in. Interface lookups are
// ioctls on the same socket, so they see that namespace too, whichever thread runs them.
type packetLink struct{ fd int }

func newLink() (link, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open packet socket (needs CAP_NET_RAW): %w", err)
	}
	return &packetLink{fd: fd}, nil
}

// ifreqHW is struct ifreq with ifr_hwaddr, a struct sockaddr.
type ifreqHW struct {
	name   [unix.IFNAMSIZ]byte
	family uint16
	data   [14]byte
	_      [8]byte
}

func (l *packetLink) resolve(name string) (int, net.HardwareAddr, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, nil, err
	}
	if err := unix.IoctlIfreq(l.fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, nil, fmt.Errorf("no such interface: %w", err)
	}
	ifindex := int(ifr.Uint32())
	var hw ifreqHW
	copy(hw.name[:], name)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&hw))); errno != 0 {
		return 0, nil, fmt.Errorf("read hardware address: %w", errno)
	}
	if hw.family != unix.ARPHRD_ETHER {
		return 0, nil, fmt.Errorf("not an Ethernet interface (ARP hardware type %d)", hw.family)
	}
	return ifindex, net.HardwareAddr(append([]byte(nil), hw.data[:6]...)), nil
}

func (l *packetLink) send(ifindex int, frame []byte, proto uint16) error {
	sa := &unix.SockaddrLinklayer{Ifindex: ifindex, Protocol: htons(proto), Halen: 6}
	copy(sa.Addr[:], frame[0:6])
	if err := unix.Sendto(l.fd, frame, 0, sa); err != nil {
		return fmt.Errorf("send on ifindex %d: %w", ifindex, err)
	}
	return nil
}

func (l *packetLink) close() error { return unix.Close(l.fd) }

func htons(v uint16) uint16 { return v<<8 | v>>8 }
