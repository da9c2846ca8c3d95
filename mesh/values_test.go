package mesh_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func TestHelmValuesUnknownCluster(t *testing.T) {
	p, err := mesh.NewPlan(seedSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.HelmValues("osaka"); !errors.Is(err, mesh.ErrClusterNotPlanned) {
		t.Errorf("HelmValues(osaka) = %v, want ErrClusterNotPlanned", err)
	}
}

// TestHelmValuesRenderCiliumChart renders each cluster's values through the real Cilium
// chart and checks that cilium-config carries the plan.
func TestHelmValuesRenderCiliumChart(t *testing.T) {
	c := testenv.CiliumChart(t)
	seed, err := mesh.NewPlan(seedSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	v4only, err := mesh.NewPlan(mesh.Spec{
		MaxConnectedClusters: 511,
		Pools:                ipam.Pools{Pods: pfx("10.0.0.0/8"), Services: pfx("172.16.0.0/12")},
		Clusters:             []mesh.ClusterSpec{{Name: "edge-511", ID: 511, MaxNodes: 1000, NodeMaskSize: 25}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		plan *mesh.Plan
		name string
		want map[string]string
	}{
		{seed, "tokyo", map[string]string{
			"cluster-name": "tokyo", "cluster-id": "1", "ipam": "cluster-pool", "max-connected-clusters": "255",
			"cluster-pool-ipv4-cidr": "10.240.0.0/16", "cluster-pool-ipv4-mask-size": "24",
			"cluster-pool-ipv6-cidr": "fd00:10:240::/104", "cluster-pool-ipv6-mask-size": "120",
			"enable-ipv4": "true", "enable-ipv6": "true",
		}},
		{seed, "hk", map[string]string{
			"cluster-name": "hk", "cluster-id": "2",
			"cluster-pool-ipv4-cidr": "10.245.0.0/16", "cluster-pool-ipv6-cidr": "fd00:10:240::100:0/104",
		}},
		{v4only, "edge-511", map[string]string{
			"cluster-name": "edge-511", "cluster-id": "511", "max-connected-clusters": "511",
			"cluster-pool-ipv4-cidr": "10.0.0.0/15", "cluster-pool-ipv4-mask-size": "25",
			"enable-ipv4": "true", "enable-ipv6": "false",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := tc.plan.HelmValues(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			m, err := helmsdk.Render(c, vals, nil)
			if err != nil {
				t.Fatal(err)
			}
			cm, err := m.ConfigMap("cilium-config")
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got := cm.Data[k]; got != v {
					t.Errorf("cilium-config %s = %q, want %q", k, got, v)
				}
			}
			// The values must match the plan, not just the expectations above.
			cp, _ := tc.plan.Cluster(tc.name)
			if got := cm.Data["cluster-id"]; got != strconv.Itoa(int(cp.ID)) {
				t.Errorf("cluster-id %q, plan has %d", got, cp.ID)
			}
			if cp.NodeMaskSizeV6 == 0 {
				if _, ok := cm.Data["cluster-pool-ipv6-cidr"]; ok {
					t.Errorf("IPv4-only cluster renders cluster-pool-ipv6-cidr %q", cm.Data["cluster-pool-ipv6-cidr"])
				}
			}
		})
	}
}
