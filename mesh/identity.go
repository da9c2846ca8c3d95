package mesh

import "fmt"

// ClusterNameMaxLen is the longest cluster name Cilium accepts, in bytes.
const ClusterNameMaxLen = 32

// MaxConnectedClusters values Cilium supports. The value must be the same on every cluster
// of a mesh and can be chosen only when a cluster is created.
const (
	// MaxConnected255 allows cluster IDs 1-255 and 65535 local identities per cluster
	// (the default).
	MaxConnected255 = 255
	// MaxConnected511 allows cluster IDs 1-511 and 32767 local identities per cluster.
	MaxConnected511 = 511
)

// DefaultClusterName is the name Cilium uses when none is set; it cannot carry an ID.
const DefaultClusterName = "default"

// ValidateClusterName checks name against Cilium's rules: 1-32 characters of lower-case
// alphanumerics and '-', starting and ending with an alphanumeric.
func ValidateClusterName(name string) error {
	if len(name) == 0 || len(name) > ClusterNameMaxLen {
		return fmt.Errorf("%w %s: length %d, must be 1-%d", ErrInvalidClusterName, quote(name), len(name), ClusterNameMaxLen)
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !alnum(c) && c != '-' {
			return fmt.Errorf("%w %s: character %q at %d, only [a-z0-9-] allowed", ErrInvalidClusterName, quote(name), c, i)
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return fmt.Errorf("%w %s: must start and end with [a-z0-9]", ErrInvalidClusterName, quote(name))
	}
	return nil
}

// ValidateMaxConnectedClusters checks that n is 255 or 511.
func ValidateMaxConnectedClusters(n int) error {
	if n != MaxConnected255 && n != MaxConnected511 {
		return fmt.Errorf("%w %d: must be %d or %d", ErrInvalidMaxConnectedClusters, n, MaxConnected255, MaxConnected511)
	}
	return nil
}

// ValidateClusterID checks that id is usable in a mesh: 1-255, or 1-511 when
// maxConnected is 511. ID 0 is reserved for clusters outside a mesh.
func ValidateClusterID(id uint32, maxConnected int) error {
	if err := ValidateMaxConnectedClusters(maxConnected); err != nil {
		return err
	}
	if id == 0 || id > uint32(maxConnected) {
		return fmt.Errorf("%w %d: must be 1-%d with maxConnectedClusters %d", ErrInvalidClusterID, id, maxConnected, maxConnected)
	}
	return nil
}

// Cluster is a cluster's identity in a mesh: its name and ID. The same type flows from
// plans into Helm values, connect, global services and the datapath.
type Cluster struct {
	// Name is the Cilium cluster name (cluster.name), see ValidateClusterName.
	Name string
	// ID is the Cilium cluster ID (cluster.id), 1-255 or 1-511.
	ID uint32
}

// Validate checks the name and ID for a mesh of the given maxConnectedClusters (255 or
// 511), including that "default" cannot carry an ID. It returns the first problem.
func (c Cluster) Validate(maxConnected int) error {
	if err := ValidateClusterName(c.Name); err != nil {
		return err
	}
	if c.Name == DefaultClusterName {
		return fmt.Errorf("cluster %s ID %d: %w", quote(c.Name), c.ID, ErrDefaultClusterName)
	}
	if err := ValidateClusterID(c.ID, maxConnected); err != nil {
		return fmt.Errorf("cluster %s: %w", quote(c.Name), err)
	}
	return nil
}

// IdentityRange is the closed range of numeric security identities a cluster owns.
type IdentityRange struct {
	// First and Last are the lowest and highest identity, inclusive.
	First, Last uint32
}

// Size returns the number of identities in the range.
func (r IdentityRange) Size() uint32 { return r.Last - r.First + 1 }

// Contains reports whether id lies in the range.
func (r IdentityRange) Contains(id uint32) bool { return id >= r.First && id <= r.Last }

// ClusterIDShift returns how far Cilium shifts the cluster ID inside a 24-bit security
// identity: 16 with maxConnectedClusters 255, 15 with 511.
func ClusterIDShift(maxConnected int) (uint, error) {
	switch maxConnected {
	case MaxConnected255:
		return 16, nil
	case MaxConnected511:
		return 15, nil
	default:
		return 0, ValidateMaxConnectedClusters(maxConnected)
	}
}

// Identities returns the security identities cluster id owns: id<<shift to
// (id+1)<<shift - 1, where shift is 16 (maxConnectedClusters 255) or 15 (511).
func Identities(id uint32, maxConnected int) (IdentityRange, error) {
	if err := ValidateClusterID(id, maxConnected); err != nil {
		return IdentityRange{}, err
	}
	shift, _ := ClusterIDShift(maxConnected)
	return IdentityRange{First: id << shift, Last: (id+1)<<shift - 1}, nil
}
