package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
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
	return &options{config: c.withDefaults(), check: *check}, nil
}
