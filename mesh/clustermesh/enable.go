package clustermesh

import (
	"encoding/base64"
	"fmt"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// EnableOptions configure the clustermesh-apiserver of every cluster. The zero value
// means: service type detected per cluster (see ServiceTypeForNodes), nodePort 32379,
// KVStoreMesh on, maxConnectedClusters 255, AuthMigration.
type EnableOptions struct {
	// ServiceType of the clustermesh-apiserver Service; "" detects it per cluster and
	// fails with ErrServiceType where it cannot be determined.
	ServiceType ServiceType
	// NodePort is the node port for NodePort services, 30000-32767; default 32379.
	NodePort int32
	// DisableKVStoreMesh turns clustermesh.apiserver.kvstoremesh.enabled off (the chart
	// enables it by default); agents then connect to the remote clusters directly.
	DisableKVStoreMesh bool
	// MaxConnectedClusters is 255 or 511 and must be equal on every cluster; default 255.
	MaxConnectedClusters int
	// AuthMode is clustermesh.apiserver.tls.authMode; default AuthMigration.
	AuthMode AuthMode
}

func (o *EnableOptions) withDefaults() EnableOptions {
	out := EnableOptions{NodePort: DefaultNodePort, MaxConnectedClusters: mesh.MaxConnected255, AuthMode: AuthMigration}
	if o == nil {
		return out
	}
	out.ServiceType = o.ServiceType
	out.DisableKVStoreMesh = o.DisableKVStoreMesh
	if o.NodePort != 0 {
		out.NodePort = o.NodePort
	}
	if o.MaxConnectedClusters != 0 {
		out.MaxConnectedClusters = o.MaxConnectedClusters
	}
	if o.AuthMode != "" {
		out.AuthMode = o.AuthMode
	}
	return out
}

// EnableValues returns the Helm values that turn on the clustermesh-apiserver for c
// with service type st (any case, as ParseServiceType reads it): cluster.name/id,
// clustermesh.useAPIServer, maxConnectedClusters, the apiserver service type and
// nodePort, KVStoreMesh, and TLS with certificates that ciliumkit provides itself
// (tls.auto.enabled=false, tls.enableSecrets=false: the chart generates none, the four
// certificate Secrets are server-side applied, see CertSecrets). It does not contain
// the CA; Connect adds tls.ca.cert/key so that the chart's cilium-ca Secret holds the
// mesh CA.
func EnableValues(c mesh.Cluster, st ServiceType, o *EnableOptions) (map[string]any, error) {
	opts := o.withDefaults()
	if err := c.Validate(opts.MaxConnectedClusters); err != nil {
		return nil, err
	}
	st, err := ParseServiceType(string(st))
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", c.Name, err)
	}
	switch opts.AuthMode {
	case AuthLegacy, AuthMigration, AuthCluster:
	default:
		return nil, fmt.Errorf("cluster %q: unknown tls.authMode %q; want legacy, migration or cluster", c.Name, opts.AuthMode)
	}
	service := map[string]any{"type": string(st)}
	if st == NodePort {
		if opts.NodePort < 30000 || opts.NodePort > 32767 {
			return nil, fmt.Errorf("cluster %q: %w: nodePort %d outside 30000-32767", c.Name, ErrServiceType, opts.NodePort)
		}
		service["nodePort"] = int(opts.NodePort)
	}
	return map[string]any{
		"cluster": map[string]any{"name": c.Name, "id": int(c.ID)},
		"clustermesh": map[string]any{
			"useAPIServer":         true,
			"maxConnectedClusters": opts.MaxConnectedClusters,
			"apiserver": map[string]any{
				"service":     service,
				"kvstoremesh": map[string]any{"enabled": !opts.DisableKVStoreMesh},
				"tls": map[string]any{
					"authMode":      string(opts.AuthMode),
					"enableSecrets": false,
					"auto":          map[string]any{"enabled": false},
				},
			},
		},
	}, nil
}

// caValues makes the chart's cilium-ca Secret hold ca (tls.ca.cert and tls.ca.key,
// base64 as the chart expects).
func caValues(ca *CA) map[string]any {
	return map[string]any{"tls": map[string]any{"ca": map[string]any{
		"cert": base64.StdEncoding.EncodeToString(ca.ca.CertPEM),
		"key":  base64.StdEncoding.EncodeToString(ca.ca.KeyPEM),
	}}}
}
