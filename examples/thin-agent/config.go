package main

import (
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/l2"
)

// config is the agent's configuration: a YAML (or JSON) file, with flags overriding
// single fields (see flags.go). Unknown fields are refused. Every field is checked by
// validate before the agent touches the kernel or the network.
//
//	cluster: {name: tokyo, id: 1}   # the cluster this node belongs to: its backends are local
//	kubernetes:                     # optional: the local cluster's API server
//	  kubeconfig: /etc/thin-agent/kubeconfig
//	clusters:                       # ClusterMesh kvstores, one entry per cluster
//	- name: hk
//	  id: 2                         # optional: pin the cluster ID (else from its cluster config)
//	  endpoints: [https://10.14.0.10:32379]
//	  tls: {ca: hk/ca.crt, cert: hk/tls.crt, key: hk/tls.key}
//	datapath:
//	  pinDir: /sys/fs/bpf/ciliumkit # bpffs directory; empty: no pinning
//	  maglevTableSize: 16381
//	  maxServices: 65536
//	  maxBackends: 262144
//	  interfaces: [{name: eth0, mode: xdp}]
//	sync: {debounce: 50ms, timeout: 1m}
//	l2:                             # optional: L2 announcements (needs kubernetes)
//	  enabled: true
//	  nodeName: worker-1            # lease holder identity; default: the hostname
//	  interfaces: [eth0]            # default: the datapath interfaces in xdp mode
//	  leaseNamespace: kube-system
//	  leaseDuration: 15s
//	  renewDeadline: 5s
//	  retryPeriod: 2s
//	listen: 127.0.0.1:9877
//	log: {format: text, level: info}
type config struct {
	// Cluster is the node's own cluster. Backends of this cluster (from Kubernetes, or
	// from a kvstore entry of the same name) are local; all others are remote.
	Cluster clusterRef `json:"cluster"`
	// Kubernetes, when set, reads the local cluster's Services and EndpointSlices.
	Kubernetes *kubeConfig `json:"kubernetes,omitempty"`
	// Clusters are the ClusterMesh kvstores to import services from.
	Clusters []kvstoreConfig `json:"clusters,omitempty"`
	// Datapath configures the BPF maps and where the programs are attached.
	Datapath datapathConfig `json:"datapath"`
	// Sync tunes how changes reach the maps.
	Sync syncConfig `json:"sync"`
	// L2 configures L2 announcements of LoadBalancer IPs (see l2Config).
	L2 l2Config `json:"l2,omitempty"`
	// Listen is the address of /healthz, /readyz and /metrics; default defaultListen.
	// "off" disables the HTTP server.
	Listen string `json:"listen,omitempty"`
	// Log selects the log format and level.
	Log logConfig `json:"log"`
}

type clusterRef struct {
	// Name is a Cilium cluster name (1-32 characters, lower-case alphanumerics and '-').
	Name string `json:"name"`
	// ID is the cluster ID, 1-511; 0 when unknown.
	ID uint32 `json:"id,omitempty"`
}

type kubeConfig struct {
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG or ~/.kube/config.
	Kubeconfig string `json:"kubeconfig,omitempty"`
}

type kvstoreConfig struct {
	// Name is the cluster's name, as its services are keyed in the kvstore.
	Name string `json:"name"`
	// ID, when not 0, pins the cluster ID (1-511): values of another ID are rejected.
	ID uint32 `json:"id,omitempty"`
	// Endpoints are etcd client URLs (https:// with TLS, http:// without).
	Endpoints []string `json:"endpoints"`
	// TLS holds PEM file names, for example the ca.crt, tls.crt and tls.key of the
	// clustermesh-apiserver-remote-cert Secret.
	TLS *tlsFiles `json:"tls,omitempty"`
}

type tlsFiles struct {
	CA   string `json:"ca"`
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

type datapathConfig struct {
	// PinDir is a directory on a bpffs mount to pin maps and links in. With it the
	// programs keep serving after the agent stops, and a restarted agent resumes from
	// the maps (established flows keep their backend). Empty: nothing is pinned and the
	// programs are detached when the agent stops.
	PinDir string `json:"pinDir,omitempty"`
	// MaglevTableSize is M (a prime in [3, 131071]); 0 means 16381.
	MaglevTableSize uint32 `json:"maglevTableSize,omitempty"`
	// MaxServices and MaxBackends size the maps (1..1<<24); 0 means the datapath defaults.
	MaxServices uint32 `json:"maxServices,omitempty"`
	MaxBackends uint32 `json:"maxBackends,omitempty"`
	// Interfaces are where the load balancer is attached.
	Interfaces []ifaceConfig `json:"interfaces,omitempty"`
}

// Attachment modes of an interface.
const (
	// modeXDP load-balances in XDP on receive and reverse-NATs replies on TC egress.
	modeXDP = "xdp"
	// modeTC load-balances on TC ingress and reverse-NATs replies on TC egress.
	modeTC = "tc"
)

type ifaceConfig struct {
	// Name is the interface clients' traffic arrives by (and replies leave by).
	Name string `json:"name"`
	// Mode is "xdp" (default) or "tc".
	Mode string `json:"mode,omitempty"`
}

type syncConfig struct {
	// Debounce is how long the agent collects changes before writing them (0 to 10 s);
	// default defaultDebounce. A burst of changes within it is written once.
	Debounce duration `json:"debounce,omitempty"`
	// Timeout is how long the first write waits for every source to finish its initial
	// list (1 s to 1 h); default defaultSyncTimeout. After it the agent writes what it has.
	Timeout duration `json:"timeout,omitempty"`
}

// l2Config turns on L2 announcements: for every LB IP a CiliumL2AnnouncementPolicy
// selects for this node on one of Interfaces, the agent competes for the Service's
// lease (named as Cilium's agents name it, so it can share Services with Cilium nodes),
// answers ARP for the IPv4 addresses whose lease it holds through the datapath's L2
// responder map (the XDP program: every interface must be a datapath interface in xdp
// mode), sends gratuitous ARP when it takes one over, and releases its leases when it
// stops. While it is enabled, a LoadBalancer Service with an IPv4 ingress address is
// programmed at its first IPv4 ingress address instead of its ClusterIPs (see
// fromKube). It needs the kubernetes source.
type l2Config struct {
	// Enabled turns the announcer on; the other fields are ignored while it is off.
	Enabled bool `json:"enabled,omitempty"`
	// NodeName is the Kubernetes Node name of this node: the lease holder identity and the
	// Node whose labels policies' nodeSelectors match. Default: the hostname.
	NodeName string `json:"nodeName,omitempty"`
	// Interfaces are the devices to announce on (matched against the policies'
	// interface patterns); default: every datapath interface in xdp mode.
	Interfaces []string `json:"interfaces,omitempty"`
	// LeaseNamespace holds the per-Service leases; default kube-system
	// (l2.DefaultLeaseNamespace). Set it to Cilium's namespace to share Services with
	// Cilium nodes.
	LeaseNamespace string `json:"leaseNamespace,omitempty"`
	// LeaseDuration, RenewDeadline and RetryPeriod are the lease timing (Cilium's Helm
	// l2announcements.leaseDuration, leaseRenewDeadline, leaseRetryPeriod); defaults
	// 15s, 5s, 2s. They must pass l2.Timing.Validate: renewDeadline below leaseDuration
	// and above 1.2 x retryPeriod.
	LeaseDuration duration `json:"leaseDuration,omitempty"`
	RenewDeadline duration `json:"renewDeadline,omitempty"`
	RetryPeriod   duration `json:"retryPeriod,omitempty"`
}

// timing returns the lease timing.
func (c l2Config) timing() l2.Timing {
	return l2.Timing{LeaseDuration: time.Duration(c.LeaseDuration), RenewDeadline: time.Duration(c.RenewDeadline),
		RetryPeriod: time.Duration(c.RetryPeriod)}
}

type logConfig struct {
	// Format is "text" (default) or "json".
	Format string `json:"format,omitempty"`
	// Level is "debug", "info" (default), "warn" or "error".
	Level string `json:"level,omitempty"`
}

// Defaults.
const (
	// defaultListen is the HTTP address of health and metrics: loopback only, a port
	// no well-known Cilium or Prometheus component uses.
	defaultListen = "127.0.0.1:9877"
	// defaultDebounce coalesces a burst of changes (a kvstore re-list, a rollout) into one
	// write while keeping a single change's latency well under a second.
	defaultDebounce = 50 * time.Millisecond
	// defaultSyncTimeout is Cilium's clustermesh sync timeout.
	defaultSyncTimeout = time.Minute
)

// duration is a time.Duration written as "50ms", "1m" in the file.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"50ms\"", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = duration(v)
	return nil
}

func (d duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// parseConfig decodes a config file strictly (unknown fields are errors). It does not
// validate: see validate.
func parseConfig(data []byte) (*config, error) {
	var c config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// loadConfig reads and decodes path; an empty path is the empty config.
func loadConfig(path string) (*config, error) {
	if path == "" {
		return &config{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// withDefaults returns c with every unset optional field at its default.
func (c config) withDefaults() config {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.Sync.Debounce == 0 {
		c.Sync.Debounce = duration(defaultDebounce)
	}
	if c.Sync.Timeout == 0 {
		c.Sync.Timeout = duration(defaultSyncTimeout)
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	ifs := make([]ifaceConfig, len(c.Datapath.Interfaces))
	for i, f := range c.Datapath.Interfaces {
		if f.Mode == "" {
			f.Mode = modeXDP
		}
		ifs[i] = f
	}
	c.Datapath.Interfaces = ifs
	if c.L2.Enabled {
		if c.L2.NodeName == "" {
			// An unreadable hostname leaves it empty, which validate reports.
			c.L2.NodeName, _ = os.Hostname()
		}
		if c.L2.Interfaces == nil {
			for _, f := range ifs {
				if f.Mode == modeXDP {
					c.L2.Interfaces = append(c.L2.Interfaces, f.Name)
				}
			}
		}
		if c.L2.LeaseNamespace == "" {
			c.L2.LeaseNamespace = l2.DefaultLeaseNamespace
		}
		def := l2.DefaultTiming()
		for _, f := range []struct {
			d   *duration
			def time.Duration
		}{{&c.L2.LeaseDuration, def.LeaseDuration}, {&c.L2.RenewDeadline, def.RenewDeadline}, {&c.L2.RetryPeriod, def.RetryPeriod}} {
			if *f.d == 0 {
				*f.d = duration(f.def)
			}
		}
	}
	return c
}
