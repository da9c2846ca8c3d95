package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// remoteCert returns the remote client certificate ciliumkit issues for cluster name under
// mode, as a Secret's data.
func remoteCert(t *testing.T, f *fixture, name string, mode clustermesh.AuthMode) map[string][]byte {
	t.Helper()
	acs, err := clustermesh.CertSecrets(name, f.mesh.CA, nil, nil, &clustermesh.CertOptions{AuthMode: mode})
	if err != nil {
		t.Fatal(err)
	}
	for _, ac := range acs {
		if *ac.Name == clustermesh.SecretRemoteCert {
			return ac.Data
		}
	}
	t.Fatalf("CertSecrets(%s) returned no %s", name, clustermesh.SecretRemoteCert)
	return nil
}

// testAuthModeCluster: osaka runs with clustermesh.apiserver.tls.authMode=cluster and peers
// hk and kyoto. The users ConfigMap the chart renders from ciliumkit's values lists
// remote-hk and remote-kyoto; Cilium's clustermesh subcommand creates them in osaka's etcd;
// kyoto's real kvstoremesh (certificate CN remote-kyoto) syncs osaka; a client with the
// certificate of a cluster that is not configured (CN remote-nagoya) is refused, one of a
// configured cluster is accepted and may only read.
func testAuthModeCluster(t *testing.T, f *fixture) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := f.pod(osaka)

	cm := o.Rendered.ConfigMaps["clustermesh-remote-users"]
	if cm == nil {
		t.Fatal("the chart rendered no clustermesh-remote-users ConfigMap for osaka")
	}
	var users struct {
		Users []struct{ Name, Role string } `json:"users"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["users.yaml"]), &users); err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(users.Users); got != `[{"Name":"remote-hk","Role":"remote"},{"Name":"remote-kyoto","Role":"remote"}]` {
		t.Errorf("users.yaml of osaka = %s", got)
	}
	ky := f.pod(kyoto)
	if cn := certCN(t, ky.CertSecrets[clustermesh.SecretRemoteCert].Data); cn != "remote-kyoto" {
		t.Errorf("kyoto's remote certificate has CN %q, want remote-kyoto", cn)
	}

	waitUntil(t, ctx, "kvstoremesh of kyoto syncs osaka", func() (bool, string) {
		rc, err := remoteStatus(ky, osaka.Name)
		return err == nil && synced(rc), fmt.Sprintf("status %s, err %v", jsonOf(rc), err)
	})

	ep, err := o.EtcdEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	dial := func(data map[string][]byte) (*kvstore.Config, error) {
		tc, err := kvstore.TLSConfigFromSecretData(data)
		if err != nil {
			return nil, err
		}
		return &kvstore.Config{Endpoints: []string{ep}, TLS: tc, DialTimeout: 5 * time.Second}, nil
	}
	for _, c := range []struct {
		name   string
		mode   clustermesh.AuthMode
		accept bool
	}{
		{"kyoto", clustermesh.AuthCluster, true},     // configured: remote-kyoto
		{"nagoya", clustermesh.AuthCluster, false},   // not configured: remote-nagoya
		{"sapporo", clustermesh.AuthMigration, true}, // CN "remote": etcdinit's shared user
	} {
		cfg, err := dial(remoteCert(t, f, c.name, c.mode))
		if err != nil {
			t.Fatal(err)
		}
		cn := clustermesh.RemoteCN(c.name, c.mode)
		var cerr error
		waitUntil(t, ctx, "user "+cn, func() (bool, string) {
			cli, err := kvstore.Connect(ctx, *cfg)
			if err == nil {
				defer cli.Close()
				_, err = cli.Get(ctx, kvstore.ClusterConfigKey(osaka.Name))
			}
			cerr = err
			// The configured user appears once Cilium's users management ran.
			return (err == nil) == c.accept || !c.accept, fmt.Sprintf("read: %v", err)
		})
		switch {
		case c.accept && cerr != nil:
			t.Errorf("%s (CN %s) refused by osaka's etcd: %v", c.name, cn, cerr)
		case !c.accept && cerr == nil:
			t.Errorf("%s (CN %s) is not a configured peer of osaka, yet its etcd accepted it", c.name, cn)
		case !c.accept:
			t.Logf("CN %s refused as expected: %v", cn, cerr)
		default:
			t.Logf("CN %s accepted", cn)
			cli, err := kvstore.Connect(ctx, *cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cli.Put(ctx, kvstore.ServiceKey(osaka.Name, "default", "intruder"), "{}"); err == nil {
				t.Errorf("CN %s may write osaka's state", cn)
			} else if !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("CN %s write: %v, want permission denied", cn, err)
			}
			cli.Close()
		}
	}
}
