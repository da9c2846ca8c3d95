package helmsdk_test

import (
	"context"
	"errors"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestInstallOrUpgrade(t *testing.T) {
	c := testenv.CiliumChart(t)
	e := testenv.Start(t, &testenv.Options{Name: "install"})
	ctx := context.Background()
	vals := map[string]any{"cluster": map[string]any{"name": "tokyo", "id": 1}, "operator": map[string]any{"replicas": 1}}

	res, err := helmsdk.InstallOrUpgrade(ctx, e.Config, c, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != helmsdk.Installed || res.Revision != 1 {
		t.Errorf("first run: %+v", res)
	}
	cm, err := e.Kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "cilium-config", metav1.GetOptions{})
	if err != nil || cm.Data["cluster-name"] != "tokyo" {
		t.Fatalf("cilium-config after install: %v %v", cm.Data["cluster-name"], err)
	}
	rv := cm.ResourceVersion

	res, err = helmsdk.InstallOrUpgrade(ctx, e.Config, c, vals, nil)
	if err != nil || res.Action != helmsdk.Unchanged || res.Revision != 1 {
		t.Errorf("same values: %+v %v", res, err)
	}
	if cm, _ := e.Kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "cilium-config", metav1.GetOptions{}); cm.ResourceVersion != rv {
		t.Error("an unchanged release rewrote cilium-config")
	}

	vals["cluster"] = map[string]any{"name": "tokyo", "id": 7}
	res, err = helmsdk.InstallOrUpgrade(ctx, e.Config, c, vals, nil)
	if err != nil || res.Action != helmsdk.Upgraded || res.Revision != 2 {
		t.Fatalf("changed values: %+v %v", res, err)
	}
	cm, _ = e.Kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "cilium-config", metav1.GetOptions{})
	if cm.Data["cluster-id"] != "7" {
		t.Errorf("cluster-id %q after upgrade", cm.Data["cluster-id"])
	}
	vals2, version, status, found, err := helmsdk.DeployedValues(e.Config, "kube-system", "cilium")
	if err != nil || !found || version != "1.19.3" || status != release.StatusDeployed || vals2["operator"] == nil {
		t.Errorf("DeployedValues: %v %s %s %v %v", vals2, version, status, found, err)
	}

	// A release left pending by an interrupted operation: refused, unless recovery is asked for.
	markPending(t, e)
	vals["cluster"] = map[string]any{"name": "tokyo", "id": 8}
	if _, err := helmsdk.InstallOrUpgrade(ctx, e.Config, c, vals, nil); !errors.Is(err, helmsdk.ErrPending) {
		t.Errorf("pending release: err = %v, want ErrPending", err)
	}
	res, err = helmsdk.InstallOrUpgrade(ctx, e.Config, c, vals, &helmsdk.InstallOptions{RecoverPending: true})
	if err != nil || res.Action != helmsdk.Upgraded || res.RecoveredRevision != 2 || res.Revision != 3 {
		t.Errorf("recovery: %+v %v", res, err)
	}
	if _, _, _, found, _ := helmsdk.DeployedValues(e.Config, "kube-system", "other"); found {
		t.Error("a release that does not exist was found")
	}
}

// markPending sets the last revision's status to pending-upgrade, as a Helm client
// that was killed mid-upgrade leaves it.
func markPending(t *testing.T, e *testenv.Env) {
	t.Helper()
	ac := new(action.Configuration)
	if err := ac.Init(helmsdk.RESTGetterForTest(e.Config, "kube-system"), "kube-system", "secret", func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	last, err := ac.Releases.Last("cilium")
	if err != nil {
		t.Fatal(err)
	}
	last.SetStatus(release.StatusPendingUpgrade, "killed")
	if err := ac.Releases.Update(last); err != nil {
		t.Fatal(err)
	}
}
