package testenv

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
)

// CiliumModule is the module path of Cilium, whose chart and CRDs the tests use.
const CiliumModule = "github.com/cilium/cilium"

var moduleDirs sync.Map // module path -> result

type moduleDirResult struct {
	dir, version string
	err          error
}

// ModuleDir returns the directory and version of a module of the build list, as
// `go list -m -json` reports them (downloading it if needed).
func ModuleDir(module string) (dir, version string, err error) {
	if v, ok := moduleDirs.Load(module); ok {
		r := v.(moduleDirResult)
		return r.dir, r.version, r.err
	}
	out, err := exec.Command("go", "list", "-mod=mod", "-m", "-json", module).Output()
	var r moduleDirResult
	if err != nil {
		r.err = fmt.Errorf("testenv: go list -m %s: %w", module, err)
	} else {
		var m struct{ Dir, Version string }
		if err := json.Unmarshal(out, &m); err != nil {
			r.err = fmt.Errorf("testenv: go list -m %s: %w", module, err)
		} else if m.Dir == "" {
			r.err = fmt.Errorf("testenv: module %s has no directory (run go mod download)", module)
		} else {
			r.dir, r.version = m.Dir, m.Version
		}
	}
	moduleDirs.Store(module, r)
	return r.dir, r.version, r.err
}

// CiliumChartPath returns the path of the real Cilium Helm chart
// (install/kubernetes/cilium) in the module cache, at the Cilium version in go.mod.
func CiliumChartPath() (string, error) {
	dir, _, err := ModuleDir(CiliumModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "install", "kubernetes", "cilium"), nil
}

// CiliumCRDDir returns the directory that holds Cilium's CRD YAML
// (pkg/k8s/apis/cilium.io/client/crds), with one sub-directory per API version.
func CiliumCRDDir() (string, error) {
	dir, _, err := ModuleDir(CiliumModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "pkg", "k8s", "apis", "cilium.io", "client", "crds"), nil
}
