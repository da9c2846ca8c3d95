package clustermesh

import (
	"errors"
	"testing"
)

func TestParsePeerConfig(t *testing.T) {
	good := "endpoints:\n- https://hk.mesh.cilium.io:32379\ntrusted-ca-file: /var/lib/cilium/clustermesh/common-etcd-client-ca.crt\n" +
		"key-file: /var/lib/cilium/clustermesh/common-etcd-client.key\ncert-file: /var/lib/cilium/clustermesh/common-etcd-client.crt\n"
	pc, err := ParsePeerConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(pc.Endpoints) != 1 || pc.Endpoints[0] != "https://hk.mesh.cilium.io:32379" || pc.KeyFile != "/var/lib/cilium/clustermesh/common-etcd-client.key" {
		t.Errorf("parsed %+v", pc)
	}
	for name, in := range map[string]string{
		"no endpoints":  "trusted-ca-file: a\nkey-file: b\ncert-file: c\n",
		"bad scheme":    "endpoints: [ftp://x:1]\n",
		"no host":       "endpoints: ['https://']\n",
		"partial TLS":   "endpoints: [https://x:1]\nkey-file: b\n",
		"not YAML map":  "- a\n- b\n",
		"wrong type":    "endpoints: 3\n",
		"invalid YAML":  "endpoints: [\n",
		"empty":         "",
		"endpoints nil": "endpoints: []\n",
	} {
		if _, err := ParsePeerConfig([]byte(in)); !errors.Is(err, ErrBadPeerConfig) {
			t.Errorf("%s: err = %v, want ErrBadPeerConfig", name, err)
		}
	}
	peers, names, err := PeersFromSecretData(map[string][]byte{
		"hk": []byte(good), "hk.etcd-client.crt": []byte("x"), "osaka": []byte("endpoints: [https://osaka.mesh.cilium.io:2379]\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "hk" || names[1] != "osaka" || peers["osaka"].Endpoints[0] != "https://osaka.mesh.cilium.io:2379" {
		t.Errorf("peers %v %v", names, peers)
	}
	if _, _, err := PeersFromSecretData(map[string][]byte{"hk": []byte("nope")}); !errors.Is(err, ErrBadPeerConfig) {
		t.Errorf("bad entry: err = %v", err)
	}
}

func FuzzParsePeerConfig(f *testing.F) {
	f.Add([]byte("endpoints:\n- https://hk.mesh.cilium.io:32379\ntrusted-ca-file: a\nkey-file: b\ncert-file: c\n"))
	f.Add([]byte("endpoints: [http://1.2.3.4:2379]"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pc, err := ParsePeerConfig(data)
		if err != nil {
			if !errors.Is(err, ErrBadPeerConfig) {
				t.Fatalf("error %v does not wrap ErrBadPeerConfig", err)
			}
			return
		}
		if len(pc.Endpoints) == 0 {
			t.Fatal("accepted a config without endpoints")
		}
	})
}

func FuzzParseServiceType(f *testing.F) {
	for _, s := range []string{"NodePort", "loadbalancer", "ClusterIP", "ExternalName", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseServiceType(s)
		if err != nil {
			if !errors.Is(err, ErrServiceType) {
				t.Fatalf("error %v does not wrap ErrServiceType", err)
			}
			return
		}
		if st != NodePort && st != LoadBalancer && st != ClusterIP {
			t.Fatalf("ParseServiceType(%q) = %q", s, st)
		}
	})
}
