package kvstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// DefaultMaxValueSize is the default limit on one value read from a remote kvstore, in
// bytes: 1 MiB (etcd refuses requests above 1.5 MiB by default).
const DefaultMaxValueSize = 1 << 20

// maxClusterID is the highest cluster ID Cilium supports (maxConnectedClusters 511).
const maxClusterID = mesh.MaxConnected511

// DecodeOptions tune DecodeClusterService. The zero value applies the defaults.
type DecodeOptions struct {
	// MaxValueSize limits the value, in bytes; 0 means DefaultMaxValueSize.
	MaxValueSize int
	// ClusterID, when not 0, is the ID the remote cluster's config announced: a service with
	// another ID is rejected.
	ClusterID uint32
}

// DecodeClusterService decodes and validates the value of a service key read from an
// untrusted kvstore. key is the full key (ServiceKey); cluster is the name of the cluster
// the caller reads from. It rejects, with an error naming the key and wrapping one of the
// rejection sentinels: values over the size limit, anything but one JSON object, unknown
// fields, a cluster, namespace or name that differs from the key, invalid names, cluster
// IDs outside 1-511, non-canonical, zoned or IPv4-mapped IP addresses, and ports that are missing, 0
// or not TCP, UDP or SCTP. It never panics.
func DecodeClusterService(cluster, key string, data []byte, opts *DecodeOptions) (*ClusterService, error) {
	var o DecodeOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxValueSize <= 0 {
		o.MaxValueSize = DefaultMaxValueSize
	}
	if len(data) > o.MaxValueSize {
		return nil, fmt.Errorf("key %s: %w: %d bytes, limit %d", key, ErrTooLarge, len(data), o.MaxValueSize)
	}
	ns, name, ok := splitServiceKey(cluster, key)
	if !ok {
		return nil, fmt.Errorf("key %q: %w: want %s<namespace>/<name>", key, ErrBadKey, ClusterServicesPrefix(cluster))
	}
	var s ClusterService
	if err := decodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("key %s: %w", key, err)
	}
	if err := validateService(&s, cluster, ns, name, o.ClusterID); err != nil {
		return nil, fmt.Errorf("key %s: %w", key, err)
	}
	return &s, nil
}

// DecodeClusterConfig decodes and validates the value of ClusterConfigKey(cluster): one
// JSON object without unknown fields, at most DefaultMaxValueSize bytes, with an ID of
// 1-511 (or 0, unset) and maxConnectedClusters 0, 255 or 511 not below the ID.
func DecodeClusterConfig(cluster string, data []byte) (*ClusterConfig, error) {
	key := ClusterConfigKey(cluster)
	if len(data) > DefaultMaxValueSize {
		return nil, fmt.Errorf("key %s: %w: %d bytes", key, ErrTooLarge, len(data))
	}
	var c ClusterConfig
	if err := decodeStrict(data, &c); err != nil {
		return nil, fmt.Errorf("key %s: %w", key, err)
	}
	maxc := c.Capabilities.MaxConnectedClusters
	if maxc != 0 && maxc != mesh.MaxConnected255 && maxc != mesh.MaxConnected511 {
		return nil, fmt.Errorf("key %s: %w: maxConnectedClusters %d", key, ErrBadClusterID, maxc)
	}
	if maxc == 0 {
		maxc = mesh.MaxConnected255
	}
	if c.ID > maxc {
		return nil, fmt.Errorf("key %s: %w: id %d above maxConnectedClusters %d", key, ErrBadClusterID, c.ID, maxc)
	}
	return &c, nil
}

// decodeStrict decodes exactly one JSON object into v, refusing unknown fields.
func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return fmt.Errorf("%w: %v", ErrUnknownField, err)
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	return nil
}

func validateService(s *ClusterService, cluster, ns, name string, wantID uint32) error {
	if s.Cluster != cluster {
		return fmt.Errorf("%w: cluster %q in the value", ErrClusterMismatch, s.Cluster)
	}
	if s.Namespace != ns || s.Name != name {
		return fmt.Errorf("%w: value names %q/%q", ErrNameMismatch, s.Namespace, s.Name)
	}
	if err := mesh.ValidateClusterName(s.Cluster); err != nil {
		return fmt.Errorf("%w: %v", ErrBadName, err)
	}
	if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
		return fmt.Errorf("%w: namespace %q: %s", ErrBadName, s.Namespace, errs[0])
	}
	if errs := validation.IsDNS1035Label(s.Name); len(errs) > 0 {
		return fmt.Errorf("%w: service name %q: %s", ErrBadName, s.Name, errs[0])
	}
	if s.ClusterID == 0 || s.ClusterID > maxClusterID {
		return fmt.Errorf("%w: clusterID %d, want 1-%d", ErrBadClusterID, s.ClusterID, maxClusterID)
	}
	if wantID != 0 && s.ClusterID != wantID {
		return fmt.Errorf("%w: clusterID %d, the cluster's config says %d", ErrClusterMismatch, s.ClusterID, wantID)
	}
	if err := validatePorts("frontend", s.Frontends); err != nil {
		return err
	}
	if err := validatePorts("backend", s.Backends); err != nil {
		return err
	}
	for addr := range s.Hostnames {
		if err := validateIP("hostname", addr); err != nil {
			return err
		}
	}
	for addr := range s.Zones {
		if err := validateIP("zone", addr); err != nil {
			return err
		}
	}
	return nil
}

func validatePorts(what string, m map[string]PortConfiguration) error {
	for addr, ports := range m {
		if err := validateIP(what, addr); err != nil {
			return err
		}
		for pname, l4 := range ports {
			switch {
			case l4 == nil:
				return fmt.Errorf("%w: %s %s port %q: null", ErrBadPort, what, addr, pname)
			case l4.Port == 0:
				return fmt.Errorf("%w: %s %s port %q: port 0", ErrBadPort, what, addr, pname)
			case l4.Protocol != "TCP" && l4.Protocol != "UDP" && l4.Protocol != "SCTP":
				return fmt.Errorf("%w: %s %s port %q: protocol %q", ErrBadPort, what, addr, pname, l4.Protocol)
			}
		}
	}
	return nil
}

func validateIP(what, s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4In6() || a.String() != s {
		return fmt.Errorf("%w: %s address %q", ErrBadIP, what, s)
	}
	return nil
}
