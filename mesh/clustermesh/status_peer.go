package clustermesh

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// PeerConfig is one peer entry of the cilium-clustermesh (or cilium-kvstoremesh)
// Secret: the etcd client configuration an agent uses to reach that cluster.
type PeerConfig struct {
	// Endpoints are the etcd URLs, e.g. "https://hk.mesh.cilium.io:32379".
	Endpoints []string `json:"endpoints"`
	// TrustedCAFile is the CA bundle that verifies the server, a path inside the
	// reader's clustermesh volume (/var/lib/cilium/clustermesh/...).
	TrustedCAFile string `json:"trusted-ca-file,omitempty"`
	// KeyFile is the client private key file, in the same volume.
	KeyFile string `json:"key-file,omitempty"`
	// CertFile is the client certificate file, in the same volume.
	CertFile string `json:"cert-file,omitempty"`
}

// ParsePeerConfig parses the YAML etcd configuration of a clustermesh Secret entry. It
// requires at least one endpoint, each an http or https URL with a host, and either all
// three TLS files or none. Unknown fields are ignored.
func ParsePeerConfig(data []byte) (*PeerConfig, error) {
	var pc PeerConfig
	if err := yaml.Unmarshal(data, &pc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPeerConfig, err)
	}
	if len(pc.Endpoints) == 0 {
		return nil, fmt.Errorf("%w: no endpoints", ErrBadPeerConfig)
	}
	for _, e := range pc.Endpoints {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%w: endpoint %q is not an http(s) URL with a host", ErrBadPeerConfig, e)
		}
	}
	n := 0
	for _, f := range []string{pc.TrustedCAFile, pc.KeyFile, pc.CertFile} {
		if f != "" {
			n++
		}
	}
	if n != 0 && n != 3 {
		return nil, fmt.Errorf("%w: trusted-ca-file, key-file and cert-file must be set together", ErrBadPeerConfig)
	}
	return &pc, nil
}

// PeersFromSecretData parses the peer entries of a cilium-clustermesh or
// cilium-kvstoremesh Secret's data: every key that is a valid cluster name (the TLS
// keys such as "hk.etcd-client.crt" are skipped). It returns the peers by name and the
// names in order; a malformed entry is an error naming its key.
func PeersFromSecretData(data map[string][]byte) (map[string]*PeerConfig, []string, error) {
	out := map[string]*PeerConfig{}
	var names []string
	for k, v := range data {
		if strings.Contains(k, ".") || mesh.ValidateClusterName(k) != nil {
			continue
		}
		pc, err := ParsePeerConfig(v)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %q: %w", k, err)
		}
		out[k] = pc
		names = append(names, k)
	}
	slices.Sort(names)
	return out, names, nil
}
