package clustermesh

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
)

// CiliumModule is the Go module whose Helm chart (install/kubernetes/cilium) Connect is
// tested with, at the version this program was built with.
const CiliumModule = "github.com/cilium/cilium"

// PinnedCiliumVersion is the version of CiliumModule ciliumkit's go.mod requires, used
// when the program's build information does not list the module (a program that links
// no Cilium package).
const PinnedCiliumVersion = "v1.19.3"

// CiliumChartPath returns the directory of the Cilium Helm chart of the Cilium version
// this program was built with (the version ciliumkit pins), from the Go module cache:
// $GOMODCACHE/github.com/cilium/cilium@<version>/install/kubernetes/cilium. When the
// module is not in the cache it runs `go mod download` for it, which needs the go tool
// and the module proxy. The version comes from the program's build information, else
// PinnedCiliumVersion.
func CiliumChartPath(ctx context.Context) (string, error) {
	version, err := ciliumVersion()
	if err != nil {
		return "", err
	}
	dir, err := moduleDir(ctx, version)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "install", "kubernetes", "cilium"), nil
}

// CiliumChart loads the chart CiliumChartPath returns. Every call loads a fresh copy.
func CiliumChart(ctx context.Context) (*chart.Chart, error) {
	p, err := CiliumChartPath(ctx)
	if err != nil {
		return nil, err
	}
	return helmsdk.Load(p)
}

func ciliumVersion() (string, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return PinnedCiliumVersion, nil
	}
	for _, d := range bi.Deps {
		if d.Path == CiliumModule {
			if d.Replace != nil {
				d = d.Replace
			}
			return d.Version, nil
		}
	}
	return PinnedCiliumVersion, nil
}

func moduleDir(ctx context.Context, version string) (string, error) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output(); err == nil {
			cache = strings.TrimSpace(string(out))
		}
	}
	if cache != "" {
		dir := filepath.Join(cache, CiliumModule+"@"+version)
		if _, err := os.Stat(filepath.Join(dir, "install", "kubernetes", "cilium", "Chart.yaml")); err == nil {
			return dir, nil
		}
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", CiliumModule+"@"+version)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: go mod download %s@%s: %v: %s", ErrTarget, CiliumModule, version, err, strings.TrimSpace(stderr.String()))
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("%w: go mod download %s@%s: no directory in %q", ErrTarget, CiliumModule, version, out)
	}
	return m.Dir, nil
}
