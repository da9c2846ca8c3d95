package lb

import (
	"fmt"
	"strings"
)

// Affinity is a global service's preference between backends of the local cluster and
// backends of remote clusters (annotation service.cilium.io/affinity). The zero value is
// AffinityNone, Cilium's default.
type Affinity uint8

// Service affinities, with Cilium's meaning.
const (
	// AffinityNone load-balances over local and remote backends alike.
	AffinityNone Affinity = iota
	// AffinityLocal uses local backends, and remote backends only while no local backend
	// is active.
	AffinityLocal
	// AffinityRemote uses remote backends, and local backends only while no remote backend
	// is active.
	AffinityRemote
)

// String returns "none", "local" or "remote", the annotation values.
func (a Affinity) String() string {
	switch a {
	case AffinityNone:
		return "none"
	case AffinityLocal:
		return "local"
	case AffinityRemote:
		return "remote"
	}
	return fmt.Sprintf("affinity(%d)", uint8(a))
}

// Valid reports whether a is one of AffinityNone, AffinityLocal, AffinityRemote.
func (a Affinity) Valid() bool { return a <= AffinityRemote }

// ParseAffinity parses an annotation value: "none", "local" or "remote", case-insensitive
// as Cilium lower-cases it; the empty string is AffinityNone, as in Cilium. Anything else
// is an error wrapping ErrInvalidAffinity.
func ParseAffinity(s string) (Affinity, error) {
	switch strings.ToLower(s) {
	case "", "none":
		return AffinityNone, nil
	case "local":
		return AffinityLocal, nil
	case "remote":
		return AffinityRemote, nil
	}
	return 0, fmt.Errorf("%w %q: want none, local or remote", ErrInvalidAffinity, s)
}
