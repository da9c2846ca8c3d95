package kvstore_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// A service of cluster hk in ClusterMesh's wire format, and what an importer makes of
// values it cannot trust.
func ExampleDecodeClusterService() {
	hk := mesh.Cluster{Name: "hk", ID: 2}
	s := kvstore.NewClusterService(hk, "song", "userlist-svc")
	s.AddFrontend(lb.Frontend{Addr: netip.MustParseAddrPort("10.43.112.141:80"), Protocol: lb.TCP}, "http")
	s.AddBackend(lb.Backend{Addr: netip.MustParseAddrPort("10.245.2.249:8181"), Protocol: lb.TCP}, "http")
	key := kvstore.ServiceKey(s.Cluster, s.Namespace, s.Name)
	value, _ := json.Marshal(s)
	fmt.Println(key)
	fmt.Println(string(value))

	got, notes, err := kvstore.DecodeClusterService("hk", key, value, nil)
	backends, _ := got.MeshBackends()
	fmt.Println(backends, notes, err)

	// A newer peer's field and an IPv4-mapped backend address, as Cilium may write them,
	// are accepted and noted; the same value under another cluster's key is refused.
	newer := bytes.Replace(value, []byte(`"10.245.2.249"`), []byte(`"::ffff:10.245.2.249"`), 1)
	newer = bytes.Replace(newer, []byte(`"shared":true`), []byte(`"shared":true,"newField":1`), 1)
	_, notes, err = kvstore.DecodeClusterService("hk", key, newer, nil)
	fmt.Println(notes, err)
	_, _, err = kvstore.DecodeClusterService("tokyo", kvstore.ServiceKey("tokyo", "song", "userlist-svc"), value, nil)
	fmt.Println(kvstore.Reason(err))
	// Output:
	// cilium/state/services/v1/hk/song/userlist-svc
	// {"cluster":"hk","namespace":"song","name":"userlist-svc","frontends":{"10.43.112.141":{"http":{"Protocol":"TCP","Port":80}}},"backends":{"10.245.2.249":{"http":{"Protocol":"TCP","Port":8181}}},"labels":{},"selector":{},"includeExternal":true,"shared":true,"clusterID":2}
	// [10.245.2.249:8181/TCP (active) @cluster 2] [] <nil>
	// [unknown-field noncanonical-ip] <nil>
	// cluster-mismatch
}
