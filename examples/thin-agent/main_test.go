package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runAgent runs the built command with args and returns its exit code and output.
func runAgent(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(agentBinary(t), args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestExitCodes runs the real binary: bad flags and bad configuration exit with 2 and
// name the field and value, before anything is loaded; -check accepts a valid one.
func TestExitCodes(t *testing.T) {
	dir, text := validConfig(t)
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("cluster: {name: tokyo}\nclusters: [{name: hk, endpoints: [\"ftp://x\"]}]\nsync: {debounce: 1h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"-check", "-config", good}, 0, []string{"configuration ok"}},
		{[]string{"-check", "-config", bad}, 2, []string{`clusters[0].endpoints[0] "ftp://x": scheme`, `sync.debounce "1h0m0s": out of range`}},
		{[]string{"-config", bad}, 2, []string{`clusters[0].endpoints[0] "ftp://x"`}},
		{[]string{"-config", filepath.Join(dir, "nope.yaml")}, 2, []string{`-config "` + filepath.Join(dir, "nope.yaml") + `"`}},
		{[]string{"-config", good, "-log-level", "loud"}, 2, []string{`log.level "loud"`}},
		{[]string{"-bogus"}, 2, []string{"flag provided but not defined: -bogus"}},
		{[]string{"-check", "-config", good, "-kubeconfig", filepath.Join(dir, "ca.crt")}, 2, []string{"kubernetes.kubeconfig"}},
		{[]string{"-h"}, 0, []string{"-config", "-pin-dir", "-iface"}},
	} {
		code, out := runAgent(t, tc.args...)
		if code != tc.code {
			t.Errorf("thin-agent %q exited %d, want %d:\n%s", tc.args, code, tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("thin-agent %q: output does not mention %q:\n%s", tc.args, w, out)
			}
		}
	}
}
