package interop

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cilium/cilium/api/v1/models"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ciliumkit/ciliumkit/internal/ciliumproc"
)

// pollInterval is how often the tests poll Cilium's state.
const pollInterval = 250 * time.Millisecond

// waitUntil polls cond until it reports true, failing t with cond's last message when ctx
// ends first.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() (bool, string)) {
	t.Helper()
	for {
		ok, msg := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s (%v)", what, msg, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// httpGet returns the status code and body of url.
func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

// meshStatus returns what the pod's kvstoremesh reports about its remote clusters
// (GET /v1/cluster of its API, as kvstoremesh-dbg status reads it).
func meshStatus(p *ciliumproc.Pod) ([]*models.RemoteCluster, error) {
	a, err := p.Forward(ciliumproc.KVStoreMeshAPIPort)
	if err != nil {
		return nil, err
	}
	code, body, err := httpGet("http://" + a + "/v1/cluster")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("kvstoremesh of %s: GET /v1/cluster: %d %s", p.Cluster.Name, code, body)
	}
	var out []*models.RemoteCluster
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return nil, fmt.Errorf("kvstoremesh of %s: /v1/cluster: %w", p.Cluster.Name, err)
	}
	return out, nil
}

// remoteStatus returns kvstoremesh's status of the remote cluster name, or nil.
func remoteStatus(p *ciliumproc.Pod, name string) (*models.RemoteCluster, error) {
	st, err := meshStatus(p)
	if err != nil {
		return nil, err
	}
	for _, rc := range st {
		if rc.Name == name {
			return rc, nil
		}
	}
	return nil, nil
}

// synced reports whether kvstoremesh has the remote ready, connected and every resource
// synced.
func synced(rc *models.RemoteCluster) bool {
	return rc != nil && rc.Ready && rc.Connected && rc.Synced != nil &&
		rc.Synced.Services && rc.Synced.Nodes && rc.Synced.Identities && rc.Synced.Endpoints
}

// list returns every key under prefix with its value.
func list(ctx context.Context, cli *clientv3.Client, prefix string) (map[string]string, error) {
	r, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make(map[string]string, len(r.Kvs))
	for _, kv := range r.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out, nil
}

// jsonOf is v as JSON, for messages.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// certCN returns the subject CN of the tls.crt in a certificate Secret's data.
func certCN(t *testing.T, data map[string][]byte) string {
	t.Helper()
	block, _ := pem.Decode(data["tls.crt"])
	if block == nil {
		t.Fatal("tls.crt holds no PEM block")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.Subject.CommonName
}

// readFile returns the content of path.
func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
