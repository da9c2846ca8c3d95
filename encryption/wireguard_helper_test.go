package encryption_test

import (
	"fmt"
	"io"
	"os"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
)

// wgHelperEnv names the WireGuard interface the re-executed test binary serves.
const wgHelperEnv = "CIK_TEST_WIREGUARD_HELPER"

// runWireGuardHelper runs a wireguard-go device named name in the current network
// namespace, serves its UAPI socket (which wgctrl configures), reports "ready" on stdout
// and runs until stdin closes. It returns the process exit code.
func runWireGuardHelper(name string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "wireguard helper:", err)
		return 1
	}
	tdev, err := tun.CreateTUN(name, device.DefaultMTU)
	if err != nil {
		return fail(err)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	defer dev.Close()
	f, err := ipc.UAPIOpen(name)
	if err != nil {
		return fail(err)
	}
	l, err := ipc.UAPIListen(name, f)
	if err != nil {
		return fail(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go dev.IpcHandle(c)
		}
	}()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}
