package testenv

import (
	"os"

	"golang.org/x/sys/unix"
)

// Privileged reports whether the process can do what privileged tests need (load BPF
// programs, create network namespaces): it runs as root with CAP_SYS_ADMIN and CAP_NET_ADMIN
// in its effective set. When it cannot, the reason says why.
func Privileged() (ok bool, reason string) {
	if os.Geteuid() != 0 {
		return false, "not running as root"
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false, "capget: " + err.Error()
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if !has(unix.CAP_SYS_ADMIN) {
		return false, "CAP_SYS_ADMIN missing"
	}
	if !has(unix.CAP_NET_ADMIN) {
		return false, "CAP_NET_ADMIN missing"
	}
	return true, ""
}
