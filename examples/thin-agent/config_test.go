package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validConfig writes a config whose TLS files exist (any PEM does not do: they must
// parse, so the test issues real ones) and returns its directory and text.
func validConfig(t *testing.T) (dir, text string) {
	t.Helper()
	dir = t.TempDir()
	ca, cert, key := testPEMs(t)
	for name, data := range map[string][]byte{"ca.crt": ca, "tls.crt": cert, "tls.key": key} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text = `cluster: {name: tokyo, id: 1}
clusters:
- name: hk
  id: 2
  endpoints: [https://10.14.0.10:32379]
  tls: {ca: ` + dir + `/ca.crt, cert: ` + dir + `/tls.crt, key: ` + dir + `/tls.key}
datapath:
  maglevTableSize: 251
  interfaces: [{name: eth0}, {name: eth1, mode: tc}]
sync: {debounce: 100ms, timeout: 30s}
listen: 127.0.0.1:19877
log: {format: json, level: debug}
`
	return dir, text
}

func TestParseConfig(t *testing.T) {
	_, text := validConfig(t)
	c, err := parseConfig([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	d := c.withDefaults()
	if err := d.validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	if d.Cluster != (clusterRef{"tokyo", 1}) || len(d.Clusters) != 1 || d.Clusters[0].ID != 2 {
		t.Errorf("clusters %+v %+v", d.Cluster, d.Clusters)
	}
	if d.Datapath.Interfaces[0].Mode != modeXDP || d.Datapath.Interfaces[1].Mode != modeTC {
		t.Errorf("interfaces %+v, want xdp (default) and tc", d.Datapath.Interfaces)
	}
	if time.Duration(d.Sync.Debounce) != 100*time.Millisecond || time.Duration(d.Sync.Timeout) != 30*time.Second {
		t.Errorf("sync %+v", d.Sync)
	}
	e := (config{}).withDefaults()
	if e.Listen != defaultListen || time.Duration(e.Sync.Debounce) != defaultDebounce || e.Log.Format != "text" {
		t.Errorf("defaults %+v", e)
	}
}

// TestValidate checks that every problem is reported at once, each naming its field and
// value.
func TestValidate(t *testing.T) {
	dir, _ := validConfig(t)
	for name, tc := range map[string]struct {
		in   string
		want []string
	}{
		"no source": {`cluster: {name: tokyo}`, []string{`clusters "[]": no source`}},
		"everything wrong": {`cluster: {name: Tokyo, id: 600}
clusters:
- {name: hk, endpoints: []}
- {name: hk, id: 999, endpoints: ["ftp://x", "https://10.0.0.1:2379"]}
datapath:
  pinDir: /nonexistent-pin-dir
  maglevTableSize: 100
  maxServices: 20000000
  interfaces: [{name: eth0, mode: fast}, {name: eth0}, {name: ""}]
sync: {debounce: 20s, timeout: 10ms}
listen: nowhere
log: {format: xml, level: loud}
`, []string{
			`cluster.name "Tokyo"`, `cluster.id 600`,
			`clusters[0].endpoints "[]"`, `clusters[1].name "hk": listed twice (also clusters[0])`,
			`clusters[1].id 999`, `clusters[1].endpoints[0] "ftp://x": scheme`,
			`clusters[1].endpoints[1] "https://10.0.0.1:2379": https without tls`,
			`datapath.pinDir "/nonexistent-pin-dir"`, `datapath.maglevTableSize 100`, `datapath.maxServices 20000000`,
			`datapath.interfaces[0].mode "fast"`, `datapath.interfaces[1].name "eth0": listed twice`,
			`datapath.interfaces[2].name ""`, `sync.debounce "20s"`, `sync.timeout "10ms"`, `listen "nowhere"`,
			`log.format "xml"`, `log.level "loud"`,
		}},
		"tls file missing": {`cluster: {name: tokyo}
clusters: [{name: hk, endpoints: ["https://10.0.0.1:2379"], tls: {ca: ` + dir + `/ca.crt, cert: ` + dir + `/none.crt, key: ` + dir + `/tls.key}}]`,
			[]string{`clusters[0].tls "` + dir + `/none.crt": cert:`}},
		"local twice": {`cluster: {name: tokyo, id: 1}
kubernetes: {}
clusters: [{name: tokyo, id: 2, endpoints: ["http://10.0.0.1:2379"]}]`,
			[]string{`clusters[0].name "tokyo": is the local cluster`, `clusters[0].id 2: differs from cluster.id 1`}},
	} {
		t.Run(name, func(t *testing.T) {
			checkInvalid(t, tc.in, tc.want)
		})
	}
}

func TestParseConfigStrict(t *testing.T) {
	for _, in := range []string{
		"cluster: {name: tokyo, weight: 3}",
		"datapath: {pinDirectory: /x}",
		"sync: {debounce: 5}",
		"sync: {debounce: soon}",
		"clusters: {name: hk}",
	} {
		if _, err := parseConfig([]byte(in)); err == nil {
			t.Errorf("parseConfig(%q) accepted it", in)
		}
	}
}

// TestFlagsOverride checks that flags that are set replace the file's fields and the
// others keep them.
func TestFlagsOverride(t *testing.T) {
	dir, text := validConfig(t)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parseArgs([]string{"-config", path, "-cluster-id", "7", "-iface", "veth1:tc,veth2", "-listen", "off",
		"-debounce", "75ms", "-log-format", "text"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.config
	if c.Cluster.Name != "tokyo" || c.Cluster.ID != 7 {
		t.Errorf("cluster %+v, want tokyo with the flag's ID 7", c.Cluster)
	}
	if len(c.Datapath.Interfaces) != 2 || c.Datapath.Interfaces[0] != (ifaceConfig{"veth1", modeTC}) || c.Datapath.Interfaces[1] != (ifaceConfig{"veth2", modeXDP}) {
		t.Errorf("interfaces %+v", c.Datapath.Interfaces)
	}
	if c.Listen != "off" || time.Duration(c.Sync.Debounce) != 75*time.Millisecond || c.Log.Format != "text" || c.Log.Level != "debug" {
		t.Errorf("config %+v", c)
	}
	if err := c.validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	for _, args := range [][]string{
		{"-nope"},
		{"-config", filepath.Join(dir, "missing.yaml")},
		{"-debounce", "-1s"},
		{"extra"},
	} {
		if _, err := parseArgs(args, io.Discard); !errors.Is(err, errConfig) {
			t.Errorf("parseArgs(%q) = %v, want a configuration error", args, err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("cluster: {name: tokyo, id: 1}\nclusters: [{name: hk, endpoints: [\"http://10.0.0.1:2379\"]}]\n"))
	f.Add([]byte(`{"cluster":{"name":"x"},"kubernetes":{},"sync":{"debounce":"1ms"}}`))
	f.Add([]byte("datapath: {interfaces: [{name: eth0, mode: tc}], maglevTableSize: 4294967295}"))
	f.Add([]byte("cluster: {name: x}\nkubernetes: {}\ndatapath: {interfaces: [{name: eth0}]}\nl2: {enabled: true, nodeName: n, retryPeriod: 1s}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig(data)
		if err != nil {
			return
		}
		d := c.withDefaults()
		if err := d.validate(); err != nil {
			if !errors.Is(err, errConfig) {
				t.Fatalf("validation error without errConfig: %v", err)
			}
			return
		}
		// A config that validates is usable as is.
		if d.Cluster.Name == "" || (d.Kubernetes == nil && len(d.Clusters) == 0) {
			t.Fatalf("accepted a config without cluster or source: %+v", d)
		}
		for _, f := range d.Datapath.Interfaces {
			if f.Mode != modeXDP && f.Mode != modeTC {
				t.Fatalf("accepted interface mode %q", f.Mode)
			}
		}
		if d.L2.Enabled && (d.Kubernetes == nil || len(d.L2.Interfaces) == 0 || d.L2.timing().Validate() != nil) {
			t.Fatalf("accepted an unusable l2 section: %+v", d.L2)
		}
	})
}

// checkInvalid asserts that config in parses, fails validation with a configuration error,
// and reports exactly the problems in want (each a substring of one reported problem).
func checkInvalid(t *testing.T, in string, want []string) {
	t.Helper()
	c, err := parseConfig([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	d := c.withDefaults()
	err = d.validate()
	if !errors.Is(err, errConfig) {
		t.Fatalf("validate = %v, want a configuration error", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != len(want) {
		t.Errorf("%d problems reported, want %d:\n%v", n, len(want), err)
	}
}
