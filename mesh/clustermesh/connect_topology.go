package clustermesh

import "fmt"

// Topology says which clusters connect to which.
type Topology int

const (
	// FullMesh connects every cluster to every other (the default).
	FullMesh Topology = iota
	// Pair connects exactly two clusters to each other.
	Pair
	// OneWay connects the first target to each of the others, and not back: only the
	// first cluster's agents see the others' state. Needs AuthLegacy or AuthMigration,
	// since under AuthCluster a cluster admits only the peers it connects to itself.
	OneWay
)

// String returns "full-mesh", "pair" or "one-way".
func (t Topology) String() string {
	switch t {
	case FullMesh:
		return "full-mesh"
	case Pair:
		return "pair"
	case OneWay:
		return "one-way"
	}
	return fmt.Sprintf("Topology(%d)", int(t))
}

// Links returns, for n clusters indexed 0..n-1, the peers each one connects to under t.
func (t Topology) Links(n int) [][]int {
	out := make([][]int, n)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			if t == OneWay && i != 0 {
				continue
			}
			out[i] = append(out[i], j)
		}
	}
	return out
}
