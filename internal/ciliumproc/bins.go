package ciliumproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// Module paths whose versions (in go.mod) select the cached binaries.
const (
	// EtcdModule is the etcd server module; the etcd binary is built from its etcdmain package.
	EtcdModule = "go.etcd.io/etcd/server/v3"
	// BuildScript builds and caches both binaries.
	BuildScript = ".ci/build-cilium-bins"
)

// Environment variables that override the cached binaries.
const (
	// EnvClusterMeshAPIServer is the path of a clustermesh-apiserver binary to use.
	EnvClusterMeshAPIServer = "CIK_CLUSTERMESH_APISERVER"
	// EnvEtcd is the path of an etcd server binary to use.
	EnvEtcd = "CIK_ETCD"
)

// ErrNoBinary reports that a binary the harness runs has not been built on this machine.
var ErrNoBinary = errors.New("ciliumproc: binary not found")

// Binaries are the executables a pod runs.
type Binaries struct {
	// ClusterMeshAPIServer is Cilium's clustermesh-apiserver (etcdinit, clustermesh, kvstoremesh).
	ClusterMeshAPIServer string
	// Etcd is the etcd server.
	Etcd string
	// CiliumVersion and EtcdVersion are the module versions the binaries were looked up for.
	CiliumVersion, EtcdVersion string
}

// FindBinaries returns the cached binaries for the Cilium and etcd versions in go.mod, or
// the paths in CIK_CLUSTERMESH_APISERVER and CIK_ETCD. A missing binary is an error wrapping
// ErrNoBinary that says how to build it.
func FindBinaries() (*Binaries, error) {
	_, cv, err := testenv.ModuleDir(testenv.CiliumModule)
	if err != nil {
		return nil, err
	}
	_, ev, err := testenv.ModuleDir(EtcdModule)
	if err != nil {
		return nil, err
	}
	b := &Binaries{CiliumVersion: cv, EtcdVersion: ev}
	if b.ClusterMeshAPIServer, err = find(EnvClusterMeshAPIServer, "cilium", cv, "clustermesh-apiserver"); err != nil {
		return nil, err
	}
	if b.Etcd, err = find(EnvEtcd, "etcd", ev, "etcd"); err != nil {
		return nil, err
	}
	return b, nil
}

func find(env, dir, version, name string) (string, error) {
	p := os.Getenv(env)
	if p == "" {
		p = filepath.Join(testenv.CacheDir(), dir, version, name)
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s %s at %s: build it once per machine with `%s` "+
			"(5-11 minutes cold), or point %s at a %s %s binary",
			ErrNoBinary, name, version, p, BuildScript, env, name, version)
	}
	return p, nil
}

// ciliumModuleDir is the directory of the Cilium module in go.mod.
func ciliumModuleDir() (string, error) {
	dir, _, err := testenv.ModuleDir(testenv.CiliumModule)
	return dir, err
}
