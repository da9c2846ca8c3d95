package clustermesh_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// TestConnectTwoClusters enables and connects tokyo and hk with NodePort services and
// checks the installed objects the way Cilium reads them, status before and after,
// Wait, and that a second run changes nothing.
func TestConnectTwoClusters(t *testing.T) {
	t.Parallel()
	cs := startClusters(t, "tokyo", "hk")
	tokyo, hk := cs[0], cs[1]
	ts := targets(cs)
	ctx := context.Background()

	before, err := clustermesh.Check(ctx, ts, clustermesh.FullMesh)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range before.Clusters {
		if st.APIServer.Found || st.Access != nil || len(st.Peers) != 0 || !strings.Contains(st.AccessError, "not found") {
			t.Errorf("%s before connect: %+v", st.Cluster, st)
		}
	}
	if before.Ready() || !hasProblem(before, "tokyo: peer hk not configured") {
		t.Errorf("problems before connect: %q", before.Problems)
	}

	ca, err := clustermesh.NewCA(nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var steps []string
	opts := &clustermesh.ConnectOptions{
		CA:       ca,
		Topology: clustermesh.FullMesh,
		Enable:   clustermesh.EnableOptions{ServiceType: clustermesh.NodePort},
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Progress: func(p clustermesh.Progress) { steps = append(steps, p.Cluster+":"+string(p.Step)) },
	}
	start := time.Now()
	rep, err := clustermesh.Connect(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("connect of 2 clusters: %s", time.Since(start).Round(time.Millisecond))
	// Clusters run in parallel within a step, so only the order of the steps is fixed.
	for i := 0; i+1 < len(steps); i += 2 {
		if steps[i] > steps[i+1] {
			steps[i], steps[i+1] = steps[i+1], steps[i]
		}
	}
	wantSteps := "hk:read tokyo:read hk:enable tokyo:enable hk:discover tokyo:discover hk:certificates tokyo:certificates hk:connect tokyo:connect"
	if got := strings.Join(steps, " "); got != wantSteps {
		t.Errorf("progress %q, want %q", got, wantSteps)
	}
	for _, r := range rep.Clusters {
		if r.Enable != "install" || r.Connect != "upgrade" || r.CAFingerprint != ca.Fingerprint() || r.ServiceType != clustermesh.NodePort {
			t.Errorf("report %+v", r)
		}
	}

	for _, pair := range [][2]*cluster{{tokyo, hk}, {hk, tokyo}} {
		local, peer := pair[0], pair[1]
		name, peerName := local.target.Cluster.Name, peer.target.Cluster.Name
		t.Run(name, func(t *testing.T) {
			e := local.env
			agent, apiserver := podSpecs(t, e)
			// The agents talk to their own KVStoreMesh for the peer's state.
			ae := peerEntry(t, e, clustermesh.SecretClusterMesh, peerName)
			if want := "https://clustermesh-apiserver.kube-system.svc:2379"; len(ae.Endpoints) != 1 || ae.Endpoints[0] != want {
				t.Errorf("agent endpoints %v, want [%s]", ae.Endpoints, want)
			}
			verifyLink(t, e, agent, "cilium-agent", ae, e)
			// KVStoreMesh dials the peer through its NodePort on <peer>.mesh.cilium.io.
			ke := peerEntry(t, e, clustermesh.SecretKVStoreMesh, peerName)
			if want := fmt.Sprintf("https://%s.mesh.cilium.io:32379", peerName); len(ke.Endpoints) != 1 || ke.Endpoints[0] != want {
				t.Errorf("kvstoremesh endpoints %v, want [%s]", ke.Endpoints, want)
			}
			verifyLink(t, e, apiserver, "kvstoremesh", ke, peer.env)
			peerIP := fmt.Sprintf("10.%d.0.10", 12+peer.target.Cluster.ID)
			if !hostAlias(apiserver, peerIP, peerName+".mesh.cilium.io") {
				t.Errorf("no host alias %s -> %s.mesh.cilium.io in %v", peerIP, peerName, apiserver.HostAliases)
			}

			// The four certificates, and the CNs Cilium expects.
			cns := map[string]string{clustermesh.SecretServerCert: clustermesh.ServerCertCN, clustermesh.SecretAdminCert: "admin-" + name,
				clustermesh.SecretRemoteCert: "remote", clustermesh.SecretLocalCert: "local-" + name}
			for sn, cn := range cns {
				s := secret(t, e, sn)
				if err := clustermesh.VerifyCertSecret(s, name, ca, nil); err != nil {
					t.Error(err)
				}
				c, err := pki.ParseCert(s.Data["tls.crt"])
				if err != nil {
					t.Fatal(err)
				}
				if c.Subject.CommonName != cn {
					t.Errorf("%s CN %q, want %q", sn, c.Subject.CommonName, cn)
				}
				if !bytes.Equal(s.Data["ca.crt"], ca.CertPEM()) {
					t.Errorf("%s ca.crt is not the mesh CA", sn)
				}
			}
			svc, err := e.Kube.CoreV1().Services("kube-system").Get(ctx, clustermesh.APIServerName, metav1GetOptions)
			if err != nil {
				t.Fatal(err)
			}
			srv, _ := pki.ParseCert(secret(t, e, clustermesh.SecretServerCert).Data["tls.crt"])
			if err := srv.VerifyHostname(svc.Spec.ClusterIP); err != nil {
				t.Errorf("server certificate does not cover the Service IP: %v", err)
			}
			if err := srv.VerifyHostname("clustermesh-apiserver.kube-system.svc"); err != nil {
				t.Error(err)
			}
			caSecret := secret(t, e, clustermesh.SecretCA)
			if !bytes.Equal(caSecret.Data["ca.crt"], ca.CertPEM()) || !bytes.Equal(caSecret.Data["ca.key"], ca.KeyPEM()) {
				t.Error("cilium-ca does not hold the mesh CA")
			}

			// What the chart renders from the deployed values is what is installed.
			vals, version, _, _, err := helmsdk.DeployedValues(e.Config, "kube-system", "cilium")
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(vals["operator"]) != "map[replicas:1]" {
				t.Errorf("caller's value operator.replicas lost: %v", vals["operator"])
			}
			if version != "1.19.3" {
				t.Errorf("chart version %s", version)
			}
			c, _ := ciliumChart()
			m, err := helmsdk.Render(c, vals, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, sn := range []string{clustermesh.SecretClusterMesh, clustermesh.SecretKVStoreMesh} {
				rs, err := m.Secret(sn)
				if err != nil {
					t.Fatal(err)
				}
				if !maps.EqualFunc(rs.Data, secret(t, e, sn).Data, bytes.Equal) {
					t.Errorf("%s: rendered %v, installed %v", sn, rs.Data, secret(t, e, sn).Data)
				}
			}
			for _, sn := range []string{clustermesh.SecretServerCert, clustermesh.SecretAdminCert, clustermesh.SecretRemoteCert, clustermesh.SecretLocalCert} {
				if _, err := m.Secret(sn); err == nil {
					t.Errorf("chart renders %s although ciliumkit provides it", sn)
				}
			}
		})
	}

	keyB64 := base64.StdEncoding.EncodeToString(ca.KeyPEM())
	if l := logs.String(); strings.Contains(l, "PRIVATE KEY") || strings.Contains(l, keyB64[30:70]) {
		t.Error("logs contain private key material")
	}
	if !strings.Contains(logs.String(), "NodePort") {
		t.Error("no NodePort warning logged")
	}

	// After connect: configured on both sides, but no apiserver pod is ready.
	after, err := clustermesh.Check(ctx, ts, clustermesh.FullMesh)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range after.Clusters {
		if st.ServiceType != clustermesh.NodePort || st.Access == nil || st.Access.Port != 32379 || len(st.Peers) != 1 {
			t.Fatalf("%s after connect: %+v", st.Cluster, st)
		}
		p := st.Peers[0]
		if p.Mutual == nil || !*p.Mutual || p.Connectivity != clustermesh.ConnectivityUnknown || p.KVStoreMesh == nil {
			t.Errorf("%s peer %+v", st.Cluster, p)
		}
		if !st.APIServer.Found || st.APIServer.IsReady {
			t.Errorf("%s apiserver %+v", st.Cluster, st.APIServer)
		}
	}
	if len(after.Problems) != 2 || !hasProblem(after, "tokyo: clustermesh-apiserver 0/1 ready") {
		t.Errorf("problems after connect: %q", after.Problems)
	}

	// Wait gives up with the reason; once the Deployments report ready, it returns.
	wctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	rounds := 0
	_, err = clustermesh.Wait(wctx, ts, &clustermesh.WaitOptions{Interval: 300 * time.Millisecond, Progress: func(clustermesh.Progress, *clustermesh.State) { rounds++ }})
	cancel()
	if !errors.Is(err, clustermesh.ErrNotReady) || !strings.Contains(err.Error(), "hk: clustermesh-apiserver 0/1 ready") {
		t.Errorf("Wait: %v", err)
	}
	if rounds < 1 {
		t.Error("Wait reported no progress")
	}
	markReady(t, tokyo.env)
	markReady(t, hk.env)
	wctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	st, err := clustermesh.Wait(wctx, ts, nil)
	cancel()
	if err != nil || !st.Ready() {
		t.Fatalf("Wait after ready: %v %v", err, st)
	}

	// A second run writes nothing.
	rvs := map[string]map[string]string{"tokyo": resourceVersions(t, tokyo.env), "hk": resourceVersions(t, hk.env)}
	start = time.Now()
	rep, err = clustermesh.Connect(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("idempotent re-run of 2 clusters: %s", time.Since(start).Round(time.Millisecond))
	for _, r := range rep.Clusters {
		if r.Enable != "unchanged" || r.Connect != "unchanged" {
			t.Errorf("re-run report %+v", r)
		}
	}
	for _, c := range cs {
		got := resourceVersions(t, c.env)
		if !maps.Equal(got, rvs[c.env.Name]) {
			for k, v := range got {
				if rvs[c.env.Name][k] != v {
					t.Errorf("%s: %s changed: resourceVersion %s -> %s", c.env.Name, k, rvs[c.env.Name][k], v)
				}
			}
		}
		if len(got) < 10 {
			t.Errorf("%s: only %d objects compared", c.env.Name, len(got))
		}
	}
}
