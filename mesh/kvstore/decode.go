package kvstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"strings"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// DefaultMaxValueSize is the default limit on one value read from a remote kvstore, in
// bytes: 1.5 MiB, etcd's default request size limit, so that no value an etcd with default
// settings can hold is refused.
const DefaultMaxValueSize = 3 << 19

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
// untrusted kvstore. key is the full key (ServiceKey, or the kvstoremesh cache form
// CachedServiceKey); cluster is the name of the cluster the caller reads from.
//
// It accepts every value Cilium's own readers accept and rejects, with an error naming
// the key and wrapping one of the rejection sentinels, exactly what they reject: values
// over the size limit (ErrTooLarge), anything but one JSON object of the wire format
// (ErrMalformed), a key that is not <prefix>/<cluster>/<namespace>/<name> (ErrBadKey), a
// cluster, namespace or name that differs from the key (ErrClusterMismatch,
// ErrNameMismatch), a cluster ID outside 1-511 or other than the pinned one
// (ErrBadClusterID, ErrClusterMismatch), and a frontend or backend address that
// netip.ParseAddr refuses (ErrBadIP). What Cilium accepts but ciliumkit would not write is
// kept as it is and reported in notes, once each (see Note). It never panics.
func DecodeClusterService(cluster, key string, data []byte, opts *DecodeOptions) (*ClusterService, []Note, error) {
	var o DecodeOptions
	if opts != nil {
		o = *opts
	}
	return decodeService(cluster, key, data, o, true)
}

// decodeService is DecodeClusterService; fast selects the one-pass parser (decodeFast),
// falling back to encoding/json for what it does not handle, and false encoding/json
// alone, the reference the fast parser is tested against.
func decodeService(cluster, key string, data []byte, o DecodeOptions, fast bool) (*ClusterService, []Note, error) {
	if err := checkSize(key, data, o); err != nil {
		return nil, nil, err
	}
	ns, name, ok := splitServiceKey(cluster, key)
	if !ok {
		return nil, nil, fmt.Errorf("key %q: %w: want %s<namespace>/<name>", key, ErrBadKey, ClusterServicesPrefix(cluster))
	}
	return decodeValue(cluster, key, ns, name, data, o, fast)
}

// checkSize rejects data over o.MaxValueSize (DefaultMaxValueSize when 0).
func checkSize(key string, data []byte, o DecodeOptions) error {
	if o.MaxValueSize <= 0 {
		o.MaxValueSize = DefaultMaxValueSize
	}
	if len(data) > o.MaxValueSize {
		return fmt.Errorf("key %s: %w: %d bytes, limit %d", key, ErrTooLarge, len(data), o.MaxValueSize)
	}
	return nil
}

// decodeValue is decodeService for a value whose size is checked and whose key is split
// into ns and name.
func decodeValue(cluster, key, ns, name string, data []byte, o DecodeOptions, fast bool) (*ClusterService, []Note, error) {
	s := new(ClusterService)
	unknown, ok := false, false
	if fast {
		unknown, ok = decodeFast(data, s)
	}
	if !ok {
		*s = ClusterService{}
		var err error
		if unknown, err = decodeTolerant(data, s); err != nil {
			return nil, nil, fmt.Errorf("key %s: %w", key, err)
		}
	}
	var notes notes
	if unknown {
		notes.add(NoteUnknownField)
	}
	if err := validateService(s, cluster, ns, name, o.ClusterID, &notes); err != nil {
		return nil, nil, fmt.Errorf("key %s: %w", key, err)
	}
	return s, notes.list(), nil
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
	if _, err := decodeTolerant(data, &c); err != nil {
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

// decodeTolerant decodes exactly one JSON object into v as Cilium's readers do
// (json.Unmarshal: unknown fields ignored) and reports whether it held unknown fields.
func decodeTolerant(data []byte, v any) (unknown bool, err error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	err = d.Decode(v)
	if err != nil && strings.HasPrefix(err.Error(), "json: unknown field") {
		// A newer peer's field: decode again the way Cilium does, into a fresh value.
		reflectZero(v)
		if err := json.Unmarshal(data, v); err != nil {
			return false, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	return false, nil
}

// reflectZero resets *v to its zero value (v is a pointer to a struct).
func reflectZero(v any) {
	rv := reflect.ValueOf(v).Elem()
	rv.Set(reflect.Zero(rv.Type()))
}

// validateService checks s as Cilium's readers do, returning an error for what they
// reject and adding a note for what they accept but ciliumkit would not write.
func validateService(s *ClusterService, cluster, ns, name string, wantID uint32, n *notes) error {
	if s.Cluster != cluster {
		return fmt.Errorf("%w: cluster %q in the value", ErrClusterMismatch, s.Cluster)
	}
	if s.Namespace != ns || s.Name != name {
		return fmt.Errorf("%w: value names %q/%q", ErrNameMismatch, s.Namespace, s.Name)
	}
	if err := mesh.ValidateClusterName(s.Cluster); err != nil {
		return fmt.Errorf("%w: %v", ErrBadName, err)
	}
	if s.ClusterID == 0 || s.ClusterID > maxClusterID {
		return fmt.Errorf("%w: clusterID %d, want 1-%d", ErrBadClusterID, s.ClusterID, maxClusterID)
	}
	if wantID != 0 && s.ClusterID != wantID {
		return fmt.Errorf("%w: clusterID %d, the cluster's config says %d", ErrClusterMismatch, s.ClusterID, wantID)
	}
	if !isDNS1123Label(s.Namespace) || !isDNS1035Label(s.Name) {
		n.add(NoteBadName)
	}
	if err := validatePorts("frontend", s.Frontends, n); err != nil {
		return err
	}
	if err := validatePorts("backend", s.Backends, n); err != nil {
		return err
	}
	for addr := range s.Hostnames {
		if _, err := netip.ParseAddr(addr); err != nil {
			n.add(NoteBadAddress)
		}
	}
	for addr := range s.Zones {
		if _, err := netip.ParseAddr(addr); err != nil {
			n.add(NoteBadAddress)
		}
	}
	return nil
}

func validatePorts(what string, m map[string]PortConfiguration, n *notes) error {
	var buf [64]byte // longer than any address text without a zone
	for addr, ports := range m {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return fmt.Errorf("%w: %s address %q", ErrBadIP, what, addr)
		}
		if a.Zone() != "" || a.Is4In6() || string(a.AppendTo(buf[:0])) != addr {
			n.add(NoteNonCanonicalIP)
		}
		for _, l4 := range ports {
			if l4 == nil || l4.Port == 0 || (l4.Protocol != "TCP" && l4.Protocol != "UDP" && l4.Protocol != "SCTP") {
				n.add(NoteBadPort)
			}
		}
	}
	return nil
}

// validateForWrite checks a service an Exporter is about to write: what Cilium's readers
// reject, and the notes too except NoteNonCanonicalIP (Cilium itself writes addresses as
// the API server stored them).
func validateForWrite(s *ClusterService, id uint32) error {
	var n notes
	if err := validateService(s, s.Cluster, s.Namespace, s.Name, id, &n); err != nil {
		return err
	}
	for _, x := range n {
		switch x {
		case NoteBadPort:
			return fmt.Errorf("%w: a port entry is null, 0 or not TCP, UDP or SCTP", ErrBadPort)
		case NoteBadName:
			return fmt.Errorf("%w: namespace %q or name %q is not a DNS label", ErrBadName, s.Namespace, s.Name)
		case NoteBadAddress:
			return fmt.Errorf("%w: a hostnames or zones key is not an IP address", ErrBadIP)
		}
	}
	return nil
}
