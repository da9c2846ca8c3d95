package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KubeVersion is the kube-apiserver version the environment runs; it matches the
// minor version of the client-go that ciliumkit builds with.
const KubeVersion = "v1.35.3"

// ErrNoAPIServer reports that the kube-apiserver binary has not been built on this machine.
var ErrNoAPIServer = errors.New("testenv: kube-apiserver binary not found")

// CacheDir returns the root of the on-disk binary cache:
// $CIK_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/ciliumkit.
func CacheDir() string {
	if d := os.Getenv("CIK_CACHE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "ciliumkit")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "ciliumkit-cache")
	}
	return filepath.Join(home, ".cache", "ciliumkit")
}

// KubeAPIServerPath returns the path of the cached kube-apiserver binary, or
// $CIK_KUBE_APISERVER when set. The error explains how to build it.
func KubeAPIServerPath() (string, error) {
	p := os.Getenv("CIK_KUBE_APISERVER")
	if p == "" {
		p = filepath.Join(CacheDir(), "kube-apiserver", KubeVersion, "kube-apiserver")
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w at %s: build it once per machine with "+
			"`CIK_KUBE_VERSION=%s .ci/build-kube-apiserver` (5-9 minutes cold), "+
			"or point CIK_KUBE_APISERVER at a kube-apiserver %s binary",
			ErrNoAPIServer, p, KubeVersion, KubeVersion)
	}
	return p, nil
}
