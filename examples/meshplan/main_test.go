package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden runs meshplan on the testdata specs and compares stdout and stderr with the
// golden files.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stdout string // golden file; "" = stdout must be empty
		stderr string // golden file; "" = stderr must be empty
	}{
		{"seed json", []string{"-f", "testdata/seed.yaml"}, 0, "seed.json", ""},
		{"seed json from a JSON spec", []string{"-f", "testdata/seed-spec.json", "-o", "json"}, 0, "seed.json", ""},
		{"seed yaml", []string{"-f", "testdata/seed.yaml", "-o", "yaml"}, 0, "seed.plan.yaml", ""},
		{"seed values tokyo", []string{"-f", "testdata/seed.yaml", "-o", "values", "-cluster", "tokyo"}, 0, "seed.values-tokyo.yaml", ""},
		{"seed values hk", []string{"-f", "testdata/seed.yaml", "-o", "values", "-cluster", "hk"}, 0, "seed.values-hk.yaml", ""},
		{"seed mermaid", []string{"-f", "testdata/seed.yaml", "-o", "mermaid"}, 0, "seed.mmd", ""},
		{"growth keeps the previous plan", []string{"-f", "testdata/grow.yaml", "-previous", "testdata/golden/seed.json"}, 0, "grow.json", ""},
		{"growth from the yaml plan", []string{"-f", "testdata/grow.yaml", "-previous", "testdata/golden/seed.plan.yaml"}, 0, "grow.json", ""},
		{"invalid spec", []string{"-f", "testdata/invalid.yaml"}, 1, "", "invalid.stderr"},
		{"pods only", []string{"-f", "testdata/pods-only.yaml"}, 0, "pods-only.json", ""},
		{"pods only values", []string{"-f", "testdata/pods-only.yaml", "-o", "values", "-cluster", "hk"}, 0, "pods-only.values-hk.yaml", "pods-only.values-hk.stderr"},
		{"growth of a pods-only plan", []string{"-f", "testdata/pods-only.yaml", "-previous", "testdata/golden/pods-only.json"}, 0, "pods-only.json", ""},
		{"case variants and a second document", []string{"-f", "testdata/case-variants.yaml"}, 1, "", "case-variants.stderr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tc.args, &stdout, &stderr)
			if status != tc.status {
				t.Fatalf("status %d, want %d; stderr:\n%s", status, tc.status, stderr.String())
			}
			golden(t, tc.stdout, stdout.Bytes())
			golden(t, tc.stderr, stderr.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if name == "" {
		if len(got) > 0 {
			t.Errorf("unexpected output:\n%s", got)
		}
		return
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update if intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestUsageAndRuntimeErrors(t *testing.T) {
	renumbered := filepath.Join(t.TempDir(), "renumbered.yaml")
	spec := "pools: {pods: [10.240.0.0/12], services: [10.96.0.0/12]}\nclusters: [{name: tokyo, id: 5}]\n"
	if err := os.WriteFile(renumbered, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"no spec", nil, 2, "-f SPEC is required"},
		{"values without cluster", []string{"-f", "testdata/seed.yaml", "-o", "values"}, 2, "-cluster"},
		{"unknown format", []string{"-f", "testdata/seed.yaml", "-o", "toml"}, 2, `"toml"`},
		{"extra argument", []string{"-f", "testdata/seed.yaml", "extra"}, 2, "extra"},
		{"missing file", []string{"-f", "testdata/nope.yaml"}, 1, "nope.yaml"},
		{"unknown cluster", []string{"-f", "testdata/seed.yaml", "-o", "values", "-cluster", "osaka"}, 1, `"osaka"`},
		{"previous plan with clusters the spec drops", []string{"-f", "testdata/seed.yaml", "-previous", "testdata/golden/grow.json"}, 0, ""},
		{"previous plan contradicts the spec", []string{"-f", renumbered, "-previous", "testdata/golden/seed.json"}, 1, `cluster "tokyo": mesh: spec changes an existing assignment: ID 5, previous plan has 1`},
		{"previous plan is not a plan", []string{"-f", "testdata/seed.yaml", "-previous", "testdata/seed.yaml"}, 1, "mesh: invalid plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tc.args, &stdout, &stderr)
			if status != tc.status {
				t.Fatalf("status %d, want %d; stderr:\n%s", status, tc.status, stderr.String())
			}
			if tc.status != 0 && stdout.Len() > 0 {
				t.Errorf("stdout not empty on failure:\n%s", stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.stderr)
			}
		})
	}
}

// TestHostileSpecs runs meshplan on the spec attacks of issue 16: each fails with a clear
// message whose size does not grow with the input.
func TestHostileSpecs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var repeated strings.Builder
	repeated.WriteString("pools: {pods: [10.240.0.0/12]}\nclusters:\n- name: a\n  nodeCIDRs:\n")
	for repeated.Len() < 57<<10 {
		repeated.WriteString("  - 10.13.0.0/16\n")
	}
	huge := strings.Repeat("x", 5<<20)
	under := 1<<20 - 1024
	for _, tc := range []struct {
		name, path, stderr string
	}{
		{"endless input", "/dev/zero", "larger than 1048576 bytes"},
		{"57 KB of repeated node CIDRs", write("repeated.yaml", repeated.String()), "held by 3"},
		{"a 5 MB name", write("name.yaml", "clusters: [{name: "+huge+"}]\n"), "larger than 1048576 bytes"},
		{"a 1 MB name", write("name1.yaml", "pools: {pods: [10.240.0.0/12]}\nclusters: [{name: "+huge[:under]+"}]\n"), "(1047552 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == "/dev/zero" {
				if _, err := os.Stat(tc.path); err != nil {
					t.Skip("no /dev/zero here")
				}
			}
			var stdout, stderr bytes.Buffer
			if status := run([]string{"-f", tc.path}, &stdout, &stderr); status != 1 {
				t.Fatalf("status %d, want 1; stderr:\n%.2000s", status, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout not empty on failure")
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %.2000q does not mention %q", stderr.String(), tc.stderr)
			}
			if n := stderr.Len(); n > 64<<10 {
				t.Errorf("stderr has %d bytes, want < 64 KiB", n)
			}
			if n := strings.Count(stderr.String(), "\n"); n > 101 {
				t.Errorf("stderr has %d lines, want at most 101", n)
			}
		})
	}
}
