package clustermesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// installExisting installs Cilium into c as a platform team would have before ciliumkit:
// its own identity, WireGuard on, its own pod CIDR and one value of its own (debug).
func installExisting(t *testing.T, c *cluster, podCIDR string) {
	t.Helper()
	ch, err := ciliumChart()
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{
		"cluster":    map[string]any{"name": c.target.Cluster.Name, "id": int(c.target.Cluster.ID)},
		"encryption": map[string]any{"enabled": true, "type": "wireguard"},
		"ipam":       map[string]any{"mode": "cluster-pool", "operator": map[string]any{"clusterPoolIPv4PodCIDRList": []any{podCIDR}}},
		"debug":      map[string]any{"enabled": true},
	}
	if _, err := helmsdk.InstallOrUpgrade(context.Background(), c.env.Config, ch, vals, &helmsdk.InstallOptions{ReleaseName: "cilium", Namespace: "kube-system"}); err != nil {
		t.Fatal(err)
	}
}

func ciliumConfig(t *testing.T, c *cluster) map[string]string {
	t.Helper()
	cm, err := c.env.Kube.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "cilium-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

// TestConnectKeepsWhatItDoesNotOwn: Connect on clusters that already run Cilium, with no
// Values given (as examples/connect does), keeps encryption, the pod CIDRs and the
// platform's own values; a dry run returns exactly the changes the real run makes and
// writes nothing; ReadCluster round-trips the identity and seeds a plan that keeps it.
func TestConnectKeepsWhatItDoesNotOwn(t *testing.T) {
	t.Parallel()
	cs := startClusters(t, "tokyo", "hk")
	installExisting(t, cs[0], "10.244.0.0/16")
	installExisting(t, cs[1], "10.245.0.0/16")
	ts := targets(cs)
	for i := range ts {
		ts[i].Values = nil
	}
	ctx := context.Background()
	// Installed separately, each has its own Cilium CA: trust both.
	opts := &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}, CAMismatch: clustermesh.MergeCAs}

	before := map[string]map[string]string{}
	for _, c := range cs {
		before[c.env.Name] = resourceVersions(t, c.env)
	}
	dry := *opts
	dry.DryRun = true
	planned, err := clustermesh.Connect(ctx, ts, &dry)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if got := resourceVersions(t, c.env); !maps.Equal(got, before[c.env.Name]) {
			t.Fatalf("%s: the dry run wrote something", c.env.Name)
		}
	}
	for _, r := range planned.Clusters {
		for _, ch := range r.Changes {
			if ch.Owner != clustermesh.OwnerMesh {
				t.Errorf("%s: planned change %v is not the mesh's", r.Cluster, ch)
			}
		}
	}

	rep, err := clustermesh.Connect(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Clusters {
		if !reflect.DeepEqual(keysOf(r.Changes), keysOf(planned.Clusters[i].Changes)) {
			t.Errorf("%s: the run changed\n%v\nthe dry run said\n%v", r.Cluster, r.Changes, planned.Clusters[i].Changes)
		}
		if len(r.Changes) == 0 || len(planned.Clusters[i].Pending) != 0 {
			t.Errorf("%s: changes %v, pending %v", r.Cluster, r.Changes, planned.Clusters[i].Pending)
		}
	}
	for i, c := range cs {
		cfg := ciliumConfig(t, c)
		want := map[string]string{"enable-wireguard": "true", "debug": "true",
			"cluster-pool-ipv4-cidr": []string{"10.244.0.0/16", "10.245.0.0/16"}[i],
			"cluster-name":           c.target.Cluster.Name, "cluster-id": fmt.Sprint(c.target.Cluster.ID)}
		for k, v := range want {
			if cfg[k] != v {
				t.Errorf("%s: cilium-config %s = %q after Connect, want %q", c.env.Name, k, cfg[k], v)
			}
		}
	}

	// What is running can seed a plan: IDs and pod ranges are kept.
	var specs []mesh.ClusterSpec
	for i, c := range cs {
		live, err := clustermesh.ReadCluster(ctx, c.env.Config, nil)
		if err != nil {
			t.Fatal(err)
		}
		if live.Cluster() != c.target.Cluster || live.MaxConnectedClusters != 255 || !live.Installed || live.ChartVersion == "" {
			t.Errorf("ReadCluster(%s) = %+v", c.env.Name, live)
		}
		other := cs[1-i].target.Cluster.Name
		if len(live.Peers) != 1 || live.Peers[0] != other {
			t.Errorf("%s: peers %v, want [%s]", c.env.Name, live.Peers, other)
		}
		specs = append(specs, live.ClusterSpec())
	}
	specs = append(specs, mesh.ClusterSpec{Name: "osaka"})
	plan, err := mesh.NewPlan(mesh.Spec{Clusters: specs, Pools: ipam.Pools{Pods: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		p, _ := plan.Cluster(c.target.Cluster.Name)
		if p.ID != c.target.Cluster.ID || len(p.PodCIDRs) != 1 || p.PodCIDRs[0].String() != []string{"10.244.0.0/16", "10.245.0.0/16"}[i] {
			t.Errorf("plan of %s: ID %d, pod CIDRs %v", c.env.Name, p.ID, p.PodCIDRs)
		}
	}
}

func keysOf(cs []clustermesh.ValueChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s=%v", c.Key, c.New))
	}
	return out
}

// TestConnectRefusesRenumbering: a target whose ID differs from the running cluster's is
// refused, naming both IDs, with nothing written anywhere; so is a caller's Values that
// would change a setting neither the mesh nor the caller owns.
func TestConnectRefusesRenumbering(t *testing.T) {
	t.Parallel()
	cs := startClusters(t, "tokyo", "hk")
	installExisting(t, cs[0], "10.244.0.0/16")
	before := resourceVersions(t, cs[0].env)
	beforeHK := resourceVersions(t, cs[1].env)
	ts := targets(cs)
	ts[0].Cluster.ID = 3
	ctx := context.Background()
	_, err := clustermesh.Connect(ctx, ts, &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}})
	if !errors.Is(err, clustermesh.ErrIdentityChange) || !strings.Contains(err.Error(), "target ID 3") || !strings.Contains(err.Error(), "cluster.id 1") {
		t.Fatalf("renumbering: err = %v", err)
	}
	if !maps.Equal(resourceVersions(t, cs[0].env), before) || !maps.Equal(resourceVersions(t, cs[1].env), beforeHK) {
		t.Fatal("a refused run wrote something")
	}

	ts = targets(cs)
	ts[0].Values = map[string]any{"ipam": "replaced"} // replaces a map the release holds
	_, err = clustermesh.Connect(ctx, ts, &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}, DryRun: true})
	if err != nil {
		t.Fatalf("the caller's own key is the caller's to change: %v", err)
	}
	ts[0].Values = map[string]any{"cluster": map[string]any{"id": 7}}
	if _, err := clustermesh.Connect(ctx, ts, nil); !errors.Is(err, clustermesh.ErrPreflight) || !strings.Contains(err.Error(), "cluster.id 7") {
		t.Fatalf("Values disagreeing with the target: %v", err)
	}
}

// TestLibraryPrintsNothing: Connect, Enable, Status, Check and Wait write nothing to the
// process's stdout, stderr (file descriptors 1 and 2, where klog and Helm's log go) or
// the standard logger.
func TestLibraryPrintsNothing(t *testing.T) {
	cs := startClusters(t, "tokyo", "hk")
	ts := targets(cs)
	ctx := context.Background()
	opts := &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}}

	out, restore := captureOutput(t)
	_, errEnable := clustermesh.Enable(ctx, ts[:1], opts)
	_, errConnect := clustermesh.Connect(ctx, ts, opts)
	_, errStatus := clustermesh.Status(ctx, ts[0])
	_, errCheck := clustermesh.Check(ctx, ts, clustermesh.FullMesh)
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, errWait := clustermesh.Wait(wctx, ts, &clustermesh.WaitOptions{Interval: 100 * time.Millisecond})
	cancel()
	printed := restore()
	for name, err := range map[string]error{"Enable": errEnable, "Connect": errConnect, "Status": errStatus, "Check": errCheck} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !errors.Is(errWait, clustermesh.ErrNotReady) {
		t.Errorf("Wait without ready apiservers: %v", errWait)
	}
	if printed != "" {
		t.Fatalf("the library printed:\n%s", printed)
	}
	_ = out
}

// captureOutput points file descriptors 1 and 2 and the standard logger at a file until
// restore is called, which returns what was written.
func captureOutput(t *testing.T) (string, func() string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	saved1, _ := syscall.Dup(1)
	saved2, _ := syscall.Dup(2)
	if err := syscall.Dup2(int(f.Fd()), 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup2(int(f.Fd()), 2); err != nil {
		t.Fatal(err)
	}
	prevLog := log.Writer()
	log.SetOutput(f)
	return f.Name(), func() string {
		log.SetOutput(prevLog)
		syscall.Dup2(saved1, 1)
		syscall.Dup2(saved2, 2)
		syscall.Close(saved1)
		syscall.Close(saved2)
		f.Seek(0, io.SeekStart)
		b, _ := io.ReadAll(f)
		f.Close()
		return string(b)
	}
}
