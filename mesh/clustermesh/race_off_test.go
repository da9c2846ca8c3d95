//go:build !race

package clustermesh_test

// raceEnabled is true in a -race build, where benchmarks are only a smoke test.
const raceEnabled = false
