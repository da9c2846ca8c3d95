package datapath

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// netnsID returns an ID of the calling thread's network namespace for link pin names:
// "ns" and the namespace's cookie (SO_NETNS_COOKIE, Linux 5.14 or later), which the
// kernel never hands out twice while it runs, or, on older kernels, "ino" and the inode
// of /proc/thread-self/ns/net (reused after the namespace is gone; stale pins are then
// detected by their detached link). The caller must hold its OS thread
// (runtime.LockOSThread) while it uses the ID and attaches.
func netnsID() (string, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("datapath: socket for the network namespace cookie: %w", err)
	}
	defer unix.Close(fd)
	if c, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE); err == nil {
		return "ns" + strconv.FormatUint(c, 10), nil
	}
	fi, err := os.Stat("/proc/thread-self/ns/net")
	if err != nil {
		return "", fmt.Errorf("datapath: identify the network namespace: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("datapath: identify the network namespace: no inode")
	}
	return "ino" + strconv.FormatUint(st.Ino, 10), nil
}
