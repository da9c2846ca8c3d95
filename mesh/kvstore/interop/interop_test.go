package interop

import "testing"

// TestCilium runs every interop check against one shared mesh of Cilium processes. The
// checks run in parallel; the heartbeat check takes about three minutes (Cilium's fixed
// two-minute heartbeat timeout), the others a few seconds each.
func TestCilium(t *testing.T) {
	f := startFixture(t)
	for _, c := range []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"KVStoreMeshMirrorsExport", testMirror},
		{"AgentView", testAgentView},
		{"ClusterMeshAPIServerExport", testAPIServerExport},
		{"AuthModeCluster", testAuthModeCluster},
		{"Heartbeat", testHeartbeat},
		{"ChartCertificates", testChartCerts},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, f)
		})
	}
}
