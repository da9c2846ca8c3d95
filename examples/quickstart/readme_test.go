package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeTop is how many lines of README.md count as its top: the two commands a
// newcomer runs must be there.
const readmeTop = 40

// readmeCommands returns the lines of README.md's fenced code blocks that are shell
// commands of this repository (go run ./..., .ci/...), in order.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	cmds, _ := readmeCommandLines(t)
	return cmds
}

func readmeCommandLines(t *testing.T) (cmds []string, lines []int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	fenced := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced && (strings.HasPrefix(line, "go run ./") || strings.HasPrefix(line, ".ci/")) {
			cmds = append(cmds, line)
			lines = append(lines, n)
		}
	}
	return cmds, lines
}

// TestReadmeCommands checks that the README gives the quickstart and the test command at
// its top, and that every repository command it gives exists: go run targets are main
// packages of this module, and .ci/run runs .ci/test, the whole test job. CI runs this,
// so a README edit that breaks a command fails it.
func TestReadmeCommands(t *testing.T) {
	cmds, lines := readmeCommandLines(t)
	top := map[string]bool{}
	for i, c := range cmds {
		if lines[i] <= readmeTop {
			top[c] = true
		}
	}
	for _, want := range []string{"go run ./examples/quickstart", ".ci/run"} {
		if !top[want] {
			t.Errorf("README.md does not give %q in a code block of its first %d lines (it gives %q)", want, readmeTop, cmds)
		}
	}
	for i, c := range cmds {
		f := strings.Fields(c)
		switch {
		case f[0] == "go":
			if len(f) < 3 {
				t.Errorf("README.md:%d: %q names no package", lines[i], c)
				continue
			}
			checkMainPackage(t, lines[i], f[2])
		default:
			checkExecutable(t, lines[i], f[0])
		}
	}
	// Every go run target the README names, in code blocks or inline, is a main package.
	data, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("go run (\\./[^\\s`]+)").FindAllStringSubmatch(string(data), -1) {
		checkMainPackage(t, 0, m[1])
	}
	run, err := os.ReadFile(filepath.Join(moduleRoot, ".ci/run"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(run, []byte("exec .ci/test")) {
		t.Errorf(".ci/run does not exec .ci/test:\n%s", run)
	}
	checkExecutable(t, 0, ".ci/test")
}

// checkMainPackage fails unless dir (./examples/x) is a directory of this module with a
// main package.
func checkMainPackage(t *testing.T, line int, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(moduleRoot, dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.SplitSeq(string(data), "\n") {
			if l == "package main" {
				return
			}
		}
	}
	t.Errorf("README.md:%d: go run %s: no main package there", line, dir)
}

// checkExecutable fails unless path (relative to the module root) is an executable file.
func checkExecutable(t *testing.T, line int, path string) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(moduleRoot, path))
	if err != nil {
		t.Errorf("README.md:%d: %s: %v", line, path, err)
		return
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("README.md:%d: %s is not an executable file (%v)", line, path, fi.Mode())
	}
}
