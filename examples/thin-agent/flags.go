package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// options are the command line: the config it names, with the flags that were set
// applied over it, and defaults filled in.
type options struct {
	config config
	// check only validates the configuration.
	check bool
}

// ifaceList is the repeatable -iface flag: name[:mode].
type ifaceList []ifaceConfig

func (l *ifaceList) String() string { return fmt.Sprint(*l) }

func (l *ifaceList) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		name, mode, _ := strings.Cut(part, ":")
		*l = append(*l, ifaceConfig{Name: name, Mode: mode})
	}
	return nil
}

// parseArgs parses the command line (without the program name). Errors, including a
// config file that cannot be read or decoded, wrap errConfig; usage goes to stderr.
// The result is not validated yet.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("thin-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfgPath     = fs.String("config", "", "configuration file (YAML or JSON)")
		check       = fs.Bool("check", false, "validate the configuration and exit (0: valid, 2: not)")
		clusterName = fs.String("cluster-name", "", "this node's cluster name (cluster.name)")
		clusterID   = fs.Uint("cluster-id", 0, "this node's cluster ID, 1-511 (cluster.id)")
		kubeconfig  = fs.String("kubeconfig", "", "read the local cluster from this kubeconfig's API server (kubernetes.kubeconfig)")
		kube        = fs.Bool("kubernetes", false, "read the local cluster from the API server of $KUBECONFIG or ~/.kube/config")
		pinDir      = fs.String("pin-dir", "", "bpffs directory to pin maps and links in (datapath.pinDir)")
		maglevM     = fs.Uint("maglev-table-size", 0, "Maglev table size M, a prime (datapath.maglevTableSize; default 16381)")
		listen      = fs.String("listen", "", "address of /healthz, /readyz and /metrics, or \"off\" (listen; default "+defaultListen+")")
		logFormat   = fs.String("log-format", "", "text or json (log.format)")
		logLevel    = fs.String("log-level", "", "debug, info, warn or error (log.level)")
		debounce    = fs.Duration("debounce", 0, "collect changes this long before writing the maps (sync.debounce; default 50ms)")
		syncTimeout = fs.Duration("sync-timeout", 0, "longest wait for every source before the first write (sync.timeout; default 1m)")
		l2On        = fs.Bool("l2", false, "announce LB IPs selected by CiliumL2AnnouncementPolicies for this node (l2.enabled; needs kubernetes)")
		nodeName    = fs.String("node-name", "", "this node's Kubernetes Node name, the L2 lease holder identity (l2.nodeName; default the hostname)")
		l2Ifaces    = fs.String("l2-iface", "", "interfaces to announce on, comma-separated (replaces l2.interfaces; default the xdp datapath interfaces)")
		leaseNS     = fs.String("l2-lease-namespace", "", "namespace of the L2 leases (l2.leaseNamespace; default kube-system)")
		leaseDur    = fs.Duration("l2-lease-duration", 0, "L2 lease duration (l2.leaseDuration; default 15s)")
		renewDL     = fs.Duration("l2-renew-deadline", 0, "L2 lease renew deadline (l2.renewDeadline; default 5s)")
		retryPeriod = fs.Duration("l2-retry-period", 0, "L2 lease retry period (l2.retryPeriod; default 2s)")
		ifaces      ifaceList
	)
	fs.Var(&ifaces, "iface", "interface to attach to, name[:xdp|tc], repeatable or comma-separated (replaces datapath.interfaces)")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %w", errConfig, err)
	}
	if fs.NArg() > 0 {
		return nil, &fieldError{Field: "arguments", Value: strings.Join(fs.Args(), " "), Err: fmt.Errorf("unexpected")}
	}
	c, err := loadConfig(*cfgPath)
	if err != nil {
		return nil, &fieldError{Field: "-config", Value: *cfgPath, Err: err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["cluster-name"] {
		c.Cluster.Name = *clusterName
	}
	if set["cluster-id"] {
		if *clusterID > 1<<31 {
			return nil, &fieldError{Field: "-cluster-id", Value: *clusterID, Err: fmt.Errorf("out of range 1-511")}
		}
		c.Cluster.ID = uint32(*clusterID)
	}
	if set["kubernetes"] && *kube && c.Kubernetes == nil {
		c.Kubernetes = &kubeConfig{}
	}
	if set["kubeconfig"] {
		c.Kubernetes = &kubeConfig{Kubeconfig: *kubeconfig}
	}
	if set["pin-dir"] {
		c.Datapath.PinDir = *pinDir
	}
	if set["maglev-table-size"] {
		if *maglevM > 1<<31 {
			return nil, &fieldError{Field: "-maglev-table-size", Value: *maglevM, Err: fmt.Errorf("out of range")}
		}
		c.Datapath.MaglevTableSize = uint32(*maglevM)
	}
	if set["iface"] {
		c.Datapath.Interfaces = ifaces
	}
	if set["listen"] {
		c.Listen = *listen
	}
	if set["log-format"] {
		c.Log.Format = *logFormat
	}
	if set["log-level"] {
		c.Log.Level = *logLevel
	}
	if set["debounce"] {
		if *debounce <= 0 {
			return nil, &fieldError{Field: "-debounce", Value: debounce.String(), Err: fmt.Errorf("out of range 1ms-10s")}
		}
		c.Sync.Debounce = duration(*debounce)
	}
	if set["sync-timeout"] {
		if *syncTimeout <= 0 {
			return nil, &fieldError{Field: "-sync-timeout", Value: syncTimeout.String(), Err: fmt.Errorf("out of range 1s-1h")}
		}
		c.Sync.Timeout = duration(*syncTimeout)
	}
	if set["l2"] {
		c.L2.Enabled = *l2On
	}
	if set["node-name"] {
		c.L2.NodeName = *nodeName
	}
	if set["l2-iface"] {
		c.L2.Interfaces = []string{}
		if *l2Ifaces != "" {
			c.L2.Interfaces = strings.Split(*l2Ifaces, ",")
		}
	}
	if set["l2-lease-namespace"] {
		c.L2.LeaseNamespace = *leaseNS
	}
	for _, f := range []struct {
		name string
		v    time.Duration
		to   *duration
	}{{"l2-lease-duration", *leaseDur, &c.L2.LeaseDuration}, {"l2-renew-deadline", *renewDL, &c.L2.RenewDeadline},
		{"l2-retry-period", *retryPeriod, &c.L2.RetryPeriod}} {
		if set[f.name] {
			if f.v <= 0 {
				return nil, &fieldError{Field: "-" + f.name, Value: f.v.String(), Err: fmt.Errorf("must be positive")}
			}
			*f.to = duration(f.v)
		}
	}
	return &options{config: c.withDefaults(), check: *check}, nil
}
