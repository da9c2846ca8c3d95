package kvstore

import (
	"context"
	"encoding/json"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"

	ciliumstore "github.com/cilium/cilium/pkg/clustermesh/store"
	cmtypes "github.com/cilium/cilium/pkg/clustermesh/types"
	"github.com/cilium/cilium/pkg/loadbalancer"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// jsonFields returns the JSON names and kinds of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Name
		if tag := f.Tag.Get("json"); tag != "" {
			n, opts, _ := strings.Cut(tag, ",")
			if n != "" {
				name = n
			}
			if opts != "" {
				name += "," + opts
			}
		}
		out = append(out, name+":"+f.Type.Kind().String())
	}
	sort.Strings(out)
	return out
}

// TestWireTypesMatchCilium fails when Cilium adds, renames or retypes a field of the wire
// format that our types do not have.
func TestWireTypesMatchCilium(t *testing.T) {
	pairs := []struct{ ours, theirs any }{
		{ClusterService{}, ciliumstore.ClusterService{}},
		{BackendZone{}, ciliumstore.BackendZone{}},
		{ForZone{}, ciliumstore.ForZone{}},
		{L4Addr{}, loadbalancer.L4Addr{}},
		{ClusterConfig{}, cmtypes.CiliumClusterConfig{}},
		{Capabilities{}, cmtypes.CiliumClusterConfigCapabilities{}},
	}
	for _, p := range pairs {
		o, c := jsonFields(reflect.TypeOf(p.ours)), jsonFields(reflect.TypeOf(p.theirs))
		if !reflect.DeepEqual(o, c) {
			t.Errorf("%T fields\n%v\ndiffer from %T\n%v", p.ours, o, p.theirs, c)
		}
	}
}

func ciliumSample() ciliumstore.ClusterService {
	s := ciliumstore.NewClusterService("userlist-svc", "song")
	s.Cluster = "hk"
	s.ClusterID = 2
	s.Frontends["10.43.112.141"] = ciliumstore.PortConfiguration{"http": {Protocol: loadbalancer.TCP, Port: 80}}
	s.Frontends["fd00:10:96::1"] = ciliumstore.PortConfiguration{"http": {Protocol: loadbalancer.TCP, Port: 80}}
	s.Backends["10.245.2.249"] = ciliumstore.PortConfiguration{
		"http": {Protocol: loadbalancer.TCP, Port: 8181},
		"dns":  {Protocol: loadbalancer.UDP, Port: 53},
	}
	s.Backends["10.245.3.7"] = ciliumstore.PortConfiguration{"http": {Protocol: loadbalancer.SCTP, Port: 8181}}
	s.Hostnames["10.245.2.249"] = "userlist-0"
	s.Zones["10.245.2.249"] = ciliumstore.BackendZone{Zone: "ap-east-1a", ForZones: []ciliumstore.ForZone{{Name: "ap-east-1a"}, {Name: "ap-east-1b"}}}
	s.Labels["app"] = "userlist"
	s.Selector["app"] = "userlist"
	s.IncludeExternal = true
	s.Shared = true
	return s
}

// fromCilium converts Cilium's value into ours field by field.
func fromCilium(c ciliumstore.ClusterService) ClusterService {
	ports := func(m map[string]ciliumstore.PortConfiguration) map[string]PortConfiguration {
		out := map[string]PortConfiguration{}
		for a, pc := range m {
			out[a] = PortConfiguration{}
			for n, l4 := range pc {
				out[a][n] = &L4Addr{Protocol: l4.Protocol, Port: l4.Port}
			}
		}
		return out
	}
	zones := map[string]BackendZone{}
	for a, z := range c.Zones {
		var fz []ForZone
		for _, f := range z.ForZones {
			fz = append(fz, ForZone{Name: f.Name})
		}
		zones[a] = BackendZone{Zone: z.Zone, ForZones: fz}
	}
	return ClusterService{
		Cluster: c.Cluster, Namespace: c.Namespace, Name: c.Name,
		Frontends: ports(c.Frontends), Backends: ports(c.Backends),
		Hostnames: c.Hostnames, Zones: zones, Labels: c.Labels, Selector: c.Selector,
		IncludeExternal: c.IncludeExternal, Shared: c.Shared, ClusterID: c.ClusterID,
	}
}

func TestCiliumValueDecodesWithOurs(t *testing.T) {
	c := ciliumSample()
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := DecodeClusterService("hk", ServiceKey("hk", "song", "userlist-svc"), data, nil)
	if err != nil {
		t.Fatalf("our decoder refused Cilium's value %s: %v", data, err)
	}
	if want := fromCilium(c); !reflect.DeepEqual(*got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", *got, want)
	}
}

func TestOurValueDecodesWithCilium(t *testing.T) {
	ours := fromCilium(ciliumSample())
	data, err := json.Marshal(&ours)
	if err != nil {
		t.Fatal(err)
	}
	var c ciliumstore.ClusterService
	// Cilium's own Unmarshal, with its validation of names, cluster ID and addresses.
	if err := c.Unmarshal("", data); err != nil {
		t.Fatalf("Cilium refused our value %s: %v", data, err)
	}
	if got := fromCilium(c); !reflect.DeepEqual(got, ours) {
		t.Fatalf("Cilium decoded\n%+v\nwant\n%+v", got, ours)
	}
	// Cilium's key validator agrees with our key layout.
	v := ciliumstore.KeyCreator(ciliumstore.ClusterNameValidator("hk"), ciliumstore.NamespacedNameValidator())()
	if err := v.Unmarshal("song/userlist-svc", data); err != nil {
		t.Fatalf("Cilium's validators refused our value: %v", err)
	}
	if got := ciliumstore.ServiceStorePrefix + "/" + c.GetKeyName(); got != ServiceKey("hk", "song", "userlist-svc") {
		t.Fatalf("Cilium's key %q, ours %q", got, ServiceKey("hk", "song", "userlist-svc"))
	}
}

func TestClusterConfigCrossCheck(t *testing.T) {
	yes := true
	theirs := cmtypes.CiliumClusterConfig{ID: 7, Capabilities: cmtypes.CiliumClusterConfigCapabilities{
		SyncedCanaries: true, Cached: true, MaxConnectedClusters: 511, ServiceExportsEnabled: &yes}}
	data, _ := json.Marshal(theirs)
	ours, err := DecodeClusterConfig("hk", data)
	if err != nil {
		t.Fatal(err)
	}
	if ours.ID != 7 || !ours.Capabilities.SyncedCanaries || !ours.Capabilities.Cached || ours.Capabilities.MaxConnectedClusters != 511 ||
		ours.Capabilities.ServiceExportsEnabled == nil || !*ours.Capabilities.ServiceExportsEnabled {
		t.Fatalf("decoded %+v from %s", ours, data)
	}
	back, _ := json.Marshal(ours)
	var again cmtypes.CiliumClusterConfig
	if err := json.Unmarshal(back, &again); err != nil || !reflect.DeepEqual(again, theirs) {
		t.Fatalf("Cilium read back %+v, %v", again, err)
	}
}

// TestExportedValuesDecodeWithCilium reads back what an Exporter wrote to a real etcd and
// decodes it with Cilium's own types and validators.
func TestExportedValuesDecodeWithCilium(t *testing.T) {
	_, _, cli := startEtcd(t)
	ctx := context.Background()
	hk := mesh.Cluster{Name: "hk", ID: 2}
	exp, err := NewExporter(cli, hk, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewClusterService(hk, "song", "userlist-svc")
	s.AddFrontend(lb.Frontend{Addr: netip.MustParseAddrPort("10.43.112.141:80"), Protocol: lb.TCP}, "http")
	s.AddBackend(lb.Backend{Addr: netip.MustParseAddrPort("10.245.2.249:8181"), Protocol: lb.TCP, Zone: "ap-east-1a"}, "http")
	s.AddBackend(lb.Backend{Addr: netip.MustParseAddrPort("[fd00::7]:53"), Protocol: lb.UDP}, "dns")
	s.Labels["app"] = "userlist"
	if err := exp.Upsert(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := exp.PutClusterConfig(ctx, Capabilities{SyncedCanaries: true, MaxConnectedClusters: 255}); err != nil {
		t.Fatal(err)
	}

	r, err := cli.Get(ctx, ServiceKey("hk", "song", "userlist-svc"))
	if err != nil || len(r.Kvs) != 1 {
		t.Fatalf("%v %v", r, err)
	}
	c := ciliumstore.KeyCreator(ciliumstore.ClusterNameValidator("hk"), ciliumstore.NamespacedNameValidator())()
	if err := c.Unmarshal("song/userlist-svc", r.Kvs[0].Value); err != nil {
		t.Fatalf("Cilium refused the exported value %s: %v", r.Kvs[0].Value, err)
	}
	theirs := c.(*ciliumstore.ValidatingClusterService).ClusterService
	ours, _, err := DecodeClusterService("hk", string(r.Kvs[0].Key), r.Kvs[0].Value, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cilium allocates empty hostnames and zones maps that the JSON leaves out.
	got := fromCilium(theirs)
	if len(got.Hostnames) == 0 && ours.Hostnames == nil {
		got.Hostnames = nil
	}
	if !reflect.DeepEqual(got, *ours) {
		t.Fatalf("Cilium read\n%+v\nwe read\n%+v", got, *ours)
	}
	if theirs.Backends["fd00::7"]["dns"].Protocol != loadbalancer.UDP || theirs.Zones["10.245.2.249"].Zone != "ap-east-1a" {
		t.Fatalf("Cilium read %+v", theirs)
	}

	r, err = cli.Get(ctx, ClusterConfigKey("hk"))
	if err != nil || len(r.Kvs) != 1 {
		t.Fatalf("%v %v", r, err)
	}
	var cfg cmtypes.CiliumClusterConfig
	if err := json.Unmarshal(r.Kvs[0].Value, &cfg); err != nil || cfg.ID != 2 || !cfg.Capabilities.SyncedCanaries || cfg.Capabilities.MaxConnectedClusters != 255 {
		t.Fatalf("Cilium read cluster config %+v, %v", cfg, err)
	}
}
