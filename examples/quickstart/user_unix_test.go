//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// nobody is the uid and gid the quickstart runs as when the test runs as root.
const nobody = 65534

// giveToUser makes path owned by the user runUnprivileged runs commands as.
func giveToUser(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Chown(path, nobody, nobody); err != nil {
		t.Fatal(err)
	}
}

// runUnprivileged makes cmd run as nobody, without supplementary groups, when the test
// runs as root: the kernel then clears every capability on setuid. Otherwise cmd runs as
// the test's own, unprivileged, user. It returns who cmd runs as.
func runUnprivileged(cmd *exec.Cmd) string {
	if os.Geteuid() != 0 {
		return fmt.Sprintf("uid %d (the test's own user)", os.Geteuid())
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	return fmt.Sprintf("uid %d gid %d, no capabilities", nobody, nobody)
}

// checkOwner checks that path was written by the user the quickstart ran as.
func checkOwner(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	want := uint32(os.Geteuid())
	if want == 0 {
		want = nobody
	}
	if st.Uid != want {
		t.Errorf("%s is owned by uid %d: the quickstart did not run as uid %d", path, st.Uid, want)
	}
}
