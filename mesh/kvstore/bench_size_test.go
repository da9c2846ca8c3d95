//go:build !race

package kvstore

// listBenchServices is how many services BenchmarkImporterInitialList, BenchmarkExport10kVisible
// and BenchmarkPropagation hold.
const listBenchServices = 10000
