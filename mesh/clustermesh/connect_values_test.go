package clustermesh_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

func TestConnectValuesForms(t *testing.T) {
	peers := map[string]*clustermesh.Access{
		"hk":    {ServiceType: clustermesh.NodePort, IPs: []netip.Addr{netip.MustParseAddr("10.14.0.10")}, Port: 32379},
		"osaka": {ServiceType: clustermesh.LoadBalancer, Hostname: "osaka-lb.example.net", Port: 2379},
	}
	for _, tc := range []struct{ version, want string }{
		// The list form for 1.19 too: it takes both, and the list matches its default.
		{"1.19.3", `{"clustermesh":{"config":{"clusters":[{"ips":["10.14.0.10"],"name":"hk","port":32379},{"address":"osaka-lb.example.net","name":"osaka","port":2379}],"enabled":true}}}`},
		{"1.19.0-pre.1", `{"clustermesh":{"config":{"clusters":[{"ips":["10.14.0.10"],"name":"hk","port":32379},{"address":"osaka-lb.example.net","name":"osaka","port":2379}],"enabled":true}}}`},
		{"1.18.6", `{"clustermesh":{"config":{"clusters":[{"ips":["10.14.0.10"],"name":"hk","port":32379},{"address":"osaka-lb.example.net","name":"osaka","port":2379}],"enabled":true}}}`},
	} {
		v, err := clustermesh.ConnectValues(tc.version, peers)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		if string(b) != tc.want {
			t.Errorf("chart %s:\n got %s\nwant %s", tc.version, b, tc.want)
		}
	}
	for _, v := range []string{"1.15.9", "1.20.0", "not-a-version", ""} {
		if _, err := clustermesh.ConnectValues(v, peers); !errors.Is(err, clustermesh.ErrUnsupportedChart) {
			t.Errorf("chart %q: err = %v, want ErrUnsupportedChart", v, err)
		}
	}
	if _, err := clustermesh.ConnectValues("1.19.3", map[string]*clustermesh.Access{"Bad_Name": peers["hk"]}); !errors.Is(err, mesh.ErrInvalidClusterName) {
		t.Errorf("bad peer name: err = %v", err)
	}
}

func TestEnableValues(t *testing.T) {
	v, err := clustermesh.EnableValues(mesh.Cluster{Name: "edge", ID: 300}, clustermesh.LoadBalancer, &clustermesh.EnableOptions{MaxConnectedClusters: 511, AuthMode: clustermesh.AuthCluster, DisableKVStoreMesh: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	want := `{"cluster":{"id":300,"name":"edge"},"clustermesh":{"apiserver":{"kvstoremesh":{"enabled":false},"service":{"type":"LoadBalancer"},"tls":{"authMode":"cluster","auto":{"enabled":false},"enableSecrets":false}},"maxConnectedClusters":511,"useAPIServer":true}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	for name, tc := range map[string]struct {
		c   mesh.Cluster
		st  clustermesh.ServiceType
		o   *clustermesh.EnableOptions
		err error
	}{
		"unknown type":    {mesh.Cluster{Name: "a", ID: 1}, "ExternalName", nil, clustermesh.ErrServiceType},
		"empty type":      {mesh.Cluster{Name: "a", ID: 1}, "", nil, clustermesh.ErrServiceType},
		"nodePort range":  {mesh.Cluster{Name: "a", ID: 1}, clustermesh.NodePort, &clustermesh.EnableOptions{NodePort: 2379}, clustermesh.ErrServiceType},
		"ID above 255":    {mesh.Cluster{Name: "a", ID: 300}, clustermesh.NodePort, nil, mesh.ErrInvalidClusterID},
		"bad max":         {mesh.Cluster{Name: "a", ID: 1}, clustermesh.NodePort, &clustermesh.EnableOptions{MaxConnectedClusters: 300}, mesh.ErrInvalidMaxConnectedClusters},
		"default with ID": {mesh.Cluster{Name: "default", ID: 1}, clustermesh.NodePort, nil, mesh.ErrDefaultClusterName},
	} {
		if _, err := clustermesh.EnableValues(tc.c, tc.st, tc.o); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.err)
		}
	}
}

// Values that enable the clustermesh-apiserver of tokyo behind NodePort 32379, with
// certificates provided by ciliumkit instead of the chart.
func ExampleEnableValues() {
	v, err := clustermesh.EnableValues(mesh.Cluster{Name: "tokyo", ID: 1}, clustermesh.NodePort, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := yaml.Marshal(v)
	fmt.Print(string(out))
	// Output:
	// cluster:
	//   id: 1
	//   name: tokyo
	// clustermesh:
	//   apiserver:
	//     kvstoremesh:
	//       enabled: true
	//     service:
	//       nodePort: 32379
	//       type: NodePort
	//     tls:
	//       authMode: migration
	//       auto:
	//         enabled: false
	//       enableSecrets: false
	//   maxConnectedClusters: 255
	//   useAPIServer: true
}

// Values that connect tokyo to hk, reached on a NodePort.
func ExampleConnectValues() {
	v, err := clustermesh.ConnectValues("1.19.3", map[string]*clustermesh.Access{
		"hk": {ServiceType: clustermesh.NodePort, IPs: []netip.Addr{netip.MustParseAddr("10.14.0.10")}, Port: 32379},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := yaml.Marshal(v)
	fmt.Print(string(out))
	// Output:
	// clustermesh:
	//   config:
	//     clusters:
	//     - ips:
	//       - 10.14.0.10
	//       name: hk
	//       port: 32379
	//     enabled: true
}
