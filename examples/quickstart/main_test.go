package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// moduleRoot is the repository root, relative to this package.
const moduleRoot = "../.."

// TestQuickstart builds the command the README gives first (go run ./examples/quickstart)
// and runs it as an unprivileged user (as root: uid/gid 65534 with every capability
// dropped by the kernel on setuid), with a HOME, working directory and TMPDIR that user
// owns, then checks its tables and the Mermaid file.
func TestQuickstart(t *testing.T) {
	pkg, args := readmeQuickstart(t)
	bin, home := buildUnprivileged(t, pkg)

	t.Run("default output file", func(t *testing.T) {
		tmp := mkUserDir(t, home, "tmp-default")
		stdout := runQuickstart(t, bin, home, tmp, args...)
		checkOutput(t, stdout)
		path := mermaidPath(t, stdout)
		if !strings.HasPrefix(path, tmp+string(filepath.Separator)) || !strings.HasSuffix(path, ".mmd") {
			t.Errorf("default Mermaid file %s is not a .mmd file in TMPDIR %s", path, tmp)
		}
		checkMermaid(t, path, stdout)
		checkNoLeftovers(t, tmp, filepath.Base(path))
	})

	t.Run("-out", func(t *testing.T) {
		tmp := mkUserDir(t, home, "tmp-out")
		want := filepath.Join(mkUserDir(t, home, "diagrams"), "mesh.mmd")
		stdout := runQuickstart(t, bin, home, tmp, append(args, "-out", want)...)
		checkOutput(t, stdout)
		if got := mermaidPath(t, stdout); got != want {
			t.Errorf("Mermaid file written to %s, want %s", got, want)
		}
		checkMermaid(t, want, stdout)
		checkNoLeftovers(t, tmp, "")
	})
}

// readmeQuickstart returns the package and arguments of the `go run` command the README
// gives first.
func readmeQuickstart(t *testing.T) (pkg string, args []string) {
	t.Helper()
	for _, line := range readmeCommands(t) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "go" && f[1] == "run" {
			return f[2], f[3:]
		}
	}
	t.Fatal("README.md gives no `go run` command")
	return "", nil
}

// buildUnprivileged builds pkg into a directory every user may read and returns the
// binary and a directory owned by the user the quickstart will run as.
func buildUnprivileged(t *testing.T, pkg string) (bin, home string) {
	t.Helper()
	// t.TempDir's parent is private to the test's user; the binary must be reachable by
	// the unprivileged user too.
	dir, err := os.MkdirTemp("", "quickstart-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "quickstart")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	t.Logf("go build %s: %s", pkg, time.Since(start).Round(time.Millisecond))
	home = filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	giveToUser(t, home)
	return bin, home
}

// mkUserDir makes dir/name owned by the unprivileged user.
func mkUserDir(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	giveToUser(t, p)
	return p
}

// runQuickstart runs bin in home with HOME=home and TMPDIR=tmp, unprivileged, and returns
// its stdout. It fails the test unless it exits 0 with nothing on stderr.
func runQuickstart(t *testing.T, bin, home, tmp string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+tmp)
	who := runUnprivileged(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("quickstart %v as %s: %s", args, who, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("quickstart %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("quickstart wrote to stderr (etcd logs must be silenced):\n%s", stderr.String())
	}
	return stdout.String()
}

// checkOutput checks the steps, the Helm values, the service tables, LB IPAM, L2 and the
// egress verdicts in the quickstart's output.
func checkOutput(t *testing.T, out string) {
	t.Helper()
	// Six steps, in order, each closed by "ok (...)".
	stepRE := regexp.MustCompile(`(?m)^\[(\d)/6\] `)
	steps := stepRE.FindAllStringSubmatch(out, -1)
	if len(steps) != 6 {
		t.Fatalf("%d step lines, want 6:\n%s", len(steps), out)
	}
	for i, s := range steps {
		if s[1] != string(rune('1'+i)) {
			t.Errorf("step %d is numbered %s", i+1, s[1])
		}
	}
	if n := len(regexp.MustCompile(`(?m)^  ok \(`).FindAllString(out, -1)); n != 6 {
		t.Errorf("%d steps closed with ok, want 6", n)
	}

	// Helm values: those of examples/meshplan for the same spec, key for key.
	for _, c := range []struct {
		name, golden string
		id           float64
		pods         string
	}{
		{"tokyo", "seed.values-tokyo.yaml", 1, "10.240.0.0/16"},
		{"hk", "seed.values-hk.yaml", 2, "10.245.0.0/16"},
	} {
		var got map[string]any
		doc := strings.Join(block(t, out, "  Helm values of "+c.name+" "), "\n")
		if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("Helm values of %s: %v\n%s", c.name, err, doc)
		}
		cluster, _ := got["cluster"].(map[string]any)
		if cluster["id"] != c.id || cluster["name"] != c.name {
			t.Errorf("Helm values of %s: cluster %v, want id %v name %s", c.name, cluster, c.id, c.name)
		}
		ipam, _ := got["ipam"].(map[string]any)
		op, _ := ipam["operator"].(map[string]any)
		if pods, _ := op["clusterPoolIPv4PodCIDRList"].([]any); len(pods) != 1 || pods[0] != c.pods {
			t.Errorf("Helm values of %s: pod CIDRs %v, want [%s]", c.name, op["clusterPoolIPv4PodCIDRList"], c.pods)
		}
		golden, err := os.ReadFile(filepath.Join(moduleRoot, "examples/meshplan/testdata/golden", c.golden))
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if err := yaml.Unmarshal(golden, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Helm values of %s differ from meshplan's %s:\n%s\nwant:\n%s", c.name, c.golden, doc, golden)
		}
	}

	// Each side exported its backend and imported the other's over mTLS as "remote",
	// whose writes the kvstore refused.
	for _, re := range []string{
		`(?m)^  tokyo: etcd https://127\.0\.0\.1:\d+ \(mTLS, auth on\); exported tokyo/echoserver/echoserver with 1 backend\(s\) \[10\.240\.0\.124:80\] as admin-tokyo$`,
		`(?m)^  hk: etcd https://127\.0\.0\.1:\d+ \(mTLS, auth on\); exported hk/echoserver/echoserver with 1 backend\(s\) \[10\.245\.0\.76:80\] as admin-hk$`,
		`(?m)^  tokyo: imported hk/echoserver/echoserver from hk's kvstore as "remote": 1 backend\(s\) \[10\.245\.0\.76:80\] \(accepted 1, rejected 0\); a write was refused: etcdserver: permission denied$`,
		`(?m)^  hk: imported tokyo/echoserver/echoserver from tokyo's kvstore as "remote": 1 backend\(s\) \[10\.240\.0\.124:80\] \(accepted 1, rejected 0\); a write was refused: etcdserver: permission denied$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks a line matching %s", re)
		}
	}

	// The merged service lists, per cluster and affinity.
	const header = "ID   Frontend        Service Type   Backend"
	tokyo := map[string][]string{
		"affinity none": {header,
			"30   10.96.0.29:80   ClusterIP      1 => 10.240.0.124:80 (active)",
			cont(header) + "2 => 10.245.0.76:80 (active)"},
		"affinity local":  {header, "30   10.96.0.29:80   ClusterIP      1 => 10.240.0.124:80 (active) (preferred)"},
		"affinity remote": {header, "30   10.96.0.29:80   ClusterIP      2 => 10.245.0.76:80 (active) (preferred)"},
		`literal "none"`:  {header, "30   10.96.0.29:80   ClusterIP      1 => 10.240.0.124:80 (active)"},
	}
	const hkHeader = "ID   Frontend          Service Type   Backend"
	hk := map[string][]string{
		"affinity none": {hkHeader,
			"30   10.96.16.189:80   ClusterIP      2 => 10.245.0.76:80 (active)",
			cont(hkHeader) + "1 => 10.240.0.124:80 (active)"},
		"affinity local":  {hkHeader, "30   10.96.16.189:80   ClusterIP      2 => 10.245.0.76:80 (active) (preferred)"},
		"affinity remote": {hkHeader, "30   10.96.16.189:80   ClusterIP      1 => 10.240.0.124:80 (active) (preferred)"},
		`literal "none"`:  {hkHeader, "30   10.96.16.189:80   ClusterIP      2 => 10.245.0.76:80 (active)"},
	}
	for cluster, tables := range map[string]map[string][]string{"tokyo (cluster id 1)": tokyo, "hk (cluster id 2)": hk} {
		for affinity, want := range tables {
			got := block(t, out, "  "+cluster+", "+affinity)
			if !reflect.DeepEqual(trimRight(got), want) {
				t.Errorf("%s, %s: service list\n%s\nwant\n%s", cluster, affinity, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	if n := strings.Count(out, `warning: service.cilium.io/affinity "none": Cilium 1.18.6 to 1.19.3 use local backends only`); n != 2 {
		t.Errorf("%d literal-none warnings, want one per cluster", n)
	}

	// LB IPAM: the /29 gives .1 .2 .3 to svc1..svc3; L2 timing of the seed.
	lbTable := block(t, out, "  $ kubectl get svc")
	wantLB := []string{
		"NAME   TYPE           EXTERNAL-IP   PORT(S)",
		"svc1   LoadBalancer   10.10.200.1   80/TCP",
		"svc2   LoadBalancer   10.10.200.2   80/TCP",
		"svc3   LoadBalancer   10.10.200.3   80/TCP",
	}
	if !reflect.DeepEqual(trimRight(lbTable), wantLB) {
		t.Errorf("LB IPAM table\n%s\nwant\n%s", strings.Join(lbTable, "\n"), strings.Join(wantLB, "\n"))
	}
	for _, s := range []string{
		"6 total (.0 and .7 reserved), 3 used, 3 available",
		"svc1 as the seed writes it (no labels): no node announces 10.10.200.1",
		"svc1 labelled color=blue: candidates [k8s-w1/ens5 k8s-w2/ens5], elected by Lease kube-system/cilium-l2announce-default-svc1",
		"l2.Calculate(seed 3s/1s/200ms, 3 services): failover window 2s-4s, lease load 3.0 requests/s",
		"l2.Calculate(Cilium default 15s/5s/2s, 3 services): failover window 10s-20s, lease load 0.6 requests/s",
		"leaseDuration: 3s",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}

	// Egress: the seed's first policy passes, the second is refused for both clusters'
	// pod ranges, and passes once the pod pool is excluded.
	for _, re := range []string{
		`(?m)^    seed, first version: to 192\.168\.20\.100/32 as 192\.168\.10\.240: verdict OK`,
		`(?m)^    seed, second version: to 0\.0\.0\.0/0 as 192\.168\.10\.241: verdict REFUSE \(2 violation\(s\)\)$`,
		`(?m)^      plancheck: policy "egress-sample": destination CIDR 0\.0\.0\.0/0 covers cluster tokyo's pod range 10\.240\.0\.0/16`,
		`(?m)^      plancheck: policy "egress-sample": destination CIDR 0\.0\.0\.0/0 covers cluster hk's pod range 10\.245\.0\.0/16`,
		`(?m)^    second version with excludedCIDRs \[10\.240\.0\.0/12\] \(the mesh's pod pool\): verdict OK`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks a line matching %s", re)
		}
	}

	// The steps that need root or a cluster name the examples that do them.
	for _, s := range []string{"go run ./examples/connect ", "go run ./examples/thin-agent ", ".ci/run"} {
		if !strings.Contains(out, s) {
			t.Errorf("output does not mention %q", s)
		}
	}
}

// mermaidPath returns the file the output says the diagram was written to.
func mermaidPath(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  Mermaid diagram written to (.+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output does not say where the Mermaid diagram is:\n%s", out)
	}
	return m[1]
}

// checkMermaid checks the diagram file: meshplan's diagram of the same spec, printed in
// the output too, and owned by the unprivileged user when the test runs as root.
func checkMermaid(t *testing.T, path, out string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(moduleRoot, "examples/meshplan/testdata/golden/seed.mmd"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from meshplan's seed.mmd:\n%s", path, got)
	}
	if printed := strings.Join(block(t, out, "[5/6] "), "\n") + "\n"; printed != string(got) {
		t.Errorf("printed diagram differs from the file:\n%s", printed)
	}
	checkOwner(t, path)
}

// checkNoLeftovers fails when tmp holds anything but keep: the etcd data directories
// must be gone when the program exits.
func checkNoLeftovers(t *testing.T, tmp, keep string) {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != keep {
			t.Errorf("left behind in TMPDIR: %s", e.Name())
		}
	}
}

// block returns the lines after the first line starting with prefix, up to the next
// blank line or the next line indented less than four spaces, with four spaces of
// indentation removed from each; the "$ command" line the output prints before a table
// is skipped.
func block(t *testing.T, out, prefix string) []string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	found := false
	var lines []string
	for sc.Scan() {
		line := sc.Text()
		if !found {
			found = strings.HasPrefix(line, prefix)
			continue
		}
		if strings.HasPrefix(line, "  $ ") && len(lines) == 0 {
			continue
		}
		if !strings.HasPrefix(line, "    ") {
			break
		}
		lines = append(lines, line[4:])
	}
	if !found {
		t.Fatalf("output has no line starting with %q:\n%s", prefix, out)
	}
	return lines
}

// cont returns the indentation of a continuation line of a service list with header: up
// to the Backend column.
func cont(header string) string { return strings.Repeat(" ", strings.Index(header, "Backend")) }

func trimRight(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, " ")
	}
	return out
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := run(context.Background(), []string{"extra"}, &stdout, &stderr); got != 2 {
		t.Errorf("status %d for an extra argument, want 2", got)
	}
	if !strings.Contains(stderr.String(), "unexpected arguments: extra") || stdout.Len() > 0 {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	stderr.Reset()
	if got := run(context.Background(), []string{"-no-such-flag"}, &stdout, &stderr); got != 2 {
		t.Errorf("status %d for an unknown flag, want 2", got)
	}
}
