package main

import (
	"crypto/tls"
	"fmt"
	"os"

	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// load reads the three PEM files and returns the client TLS configuration of a mutual
// TLS connection to a ClusterMesh etcd (kvstore.TLSConfig).
func (f *tlsFiles) load() (*tls.Config, error) {
	var pems [3][]byte
	for i, p := range []struct{ what, path string }{{"ca", f.CA}, {"cert", f.Cert}, {"key", f.Key}} {
		if p.path == "" {
			return nil, fmt.Errorf("%s: file name required", p.what)
		}
		b, err := os.ReadFile(p.path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.what, err)
		}
		pems[i] = b
	}
	return kvstore.TLSConfig(pems[0], pems[1], pems[2])
}
