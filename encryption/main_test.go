package encryption_test

import (
	"os"
	"testing"
)

// TestMain runs the userspace WireGuard helper instead of the tests when the tunnel test
// re-executes the test binary inside a network namespace (see wireguard_tunnel_test.go).
func TestMain(m *testing.M) {
	if name := os.Getenv(wgHelperEnv); name != "" {
		os.Exit(runWireGuardHelper(name))
	}
	os.Exit(m.Run())
}
