//go:build race

package kvstore

// listBenchServices is how many services BenchmarkImporterInitialList, BenchmarkExport10kVisible
// and BenchmarkPropagation hold: 1,000 in a
// -race build, where benchmarks are a smoke test (CI runs each once under -race) and
// their times mean nothing.
const listBenchServices = 1000
