package l2

import "net"

// link is the announcer's access to the interfaces of its network namespace.
type link interface {
	// resolve returns the index and hardware address of the named interface.
	resolve(name string) (ifindex int, mac net.HardwareAddr, err error)
	// send transmits an Ethernet frame (with header) of EtherType proto on ifindex.
	send(ifindex int, frame []byte, proto uint16) error
	// close releases the link's socket.
	close() error
}
