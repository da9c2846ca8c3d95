package ciliumproc

import (
	"encoding/base64"
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// chartValues are the Helm values a clustermesh.Connect run installs on the cluster of spec:
// EnableValues with the mesh CA (tls.ca.cert/key), ConnectValues for the peers (each reached
// at its link address, port 2379), and spec.Values merged over them. With spec.ChartCerts the
// chart issues the certificates itself (tls.auto.enabled, method helm).
func chartValues(spec *ClusterSpec, ca *clustermesh.CA, chartVersion string, peers map[string]netip.Addr) (map[string]any, error) {
	name := spec.Cluster.Name
	ev, err := clustermesh.EnableValues(spec.Cluster, clustermesh.NodePort, spec.Enable)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: enable values: %w", name, err)
	}
	access := make(map[string]*clustermesh.Access, len(peers))
	for p, ip := range peers {
		access[p] = &clustermesh.Access{ServiceType: clustermesh.NodePort, IPs: []netip.Addr{ip}, Port: clustermesh.APIServerPort}
	}
	cv, err := clustermesh.ConnectValues(chartVersion, access)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: connect values: %w", name, err)
	}
	caVals := map[string]any{"tls": map[string]any{"ca": map[string]any{
		"cert": base64.StdEncoding.EncodeToString(ca.CertPEM()),
		"key":  base64.StdEncoding.EncodeToString(ca.KeyPEM()),
	}}}
	out := mergeValues(ev, caVals, cv)
	if spec.ChartCerts {
		out = mergeValues(out, map[string]any{"clustermesh": map[string]any{"apiserver": map[string]any{"tls": map[string]any{
			"auto": map[string]any{"enabled": true, "method": "helm"},
		}}}})
	}
	return mergeValues(out, spec.Values), nil
}

// mergeValues returns a deep copy of base with each overlay merged over it in turn: nested
// maps merge key by key, any other value replaces. The inputs are not modified.
func mergeValues(base map[string]any, overlays ...map[string]any) map[string]any {
	out := map[string]any{}
	mergeInto(out, base)
	for _, o := range overlays {
		mergeInto(out, o)
	}
	return out
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if sok && dok {
			mergeInto(dm, sm)
			continue
		}
		dst[k] = copyValue(v)
	}
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
