package testenv

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// RequirePrivilegedEnv is the environment variable that turns a privilege skip into a failure.
const RequirePrivilegedEnv = "CIK_REQUIRE_PRIVILEGED"

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

// RequirePrivileged skips t when the process is not privileged, naming the reason, or fails
// it when CIK_REQUIRE_PRIVILEGED=1.
func RequirePrivileged(t testing.TB) {
	t.Helper()
	ok, reason := Privileged()
	if ok {
		return
	}
	Unavailable(t, "privileged test: "+reason)
}

// Unavailable skips t with reason, or fails it when CIK_REQUIRE_PRIVILEGED=1. Tests use it
// for anything CI must provide (a privilege, a binary, a kernel feature).
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequirePrivilegedEnv) == "1" {
		t.Fatalf("%s (%s=1 forbids skipping)", reason, RequirePrivilegedEnv)
	}
	t.Skip(reason)
}
