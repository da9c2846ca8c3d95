//go:build race

package clustermesh_test

// raceEnabled is true in a -race build, where benchmarks are only a smoke test (CI runs
// each once under -race) and their times mean nothing.
const raceEnabled = true
