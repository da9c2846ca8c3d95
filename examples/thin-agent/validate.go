package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// errConfig marks a configuration problem: the agent exits with code 2.
var errConfig = errors.New("invalid configuration")

// fieldError is one configuration problem: the field's path in the file and its value.
type fieldError struct {
	Field string
	Value any
	Err   error
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Field, quote(e.Value), e.Err)
}

func (e *fieldError) Unwrap() []error { return []error{errConfig, e.Err} }

func quote(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case duration:
		return fmt.Sprintf("%q", time.Duration(v))
	}
	return fmt.Sprint(v)
}

// validate checks the whole configuration (with defaults applied) and returns every
// problem at once, each a *fieldError wrapping errConfig; nil when it is usable. It reads
// the TLS files (they must exist and parse) but touches neither the kernel nor the
// network.
func (c *config) validate() error {
	var errs []error
	bad := func(field string, value any, format string, args ...any) {
		errs = append(errs, &fieldError{Field: field, Value: value, Err: fmt.Errorf(format, args...)})
	}
	if c.Cluster.Name == "" {
		bad("cluster.name", "", "required: the name of the cluster this node belongs to")
	} else if err := mesh.ValidateClusterName(c.Cluster.Name); err != nil {
		bad("cluster.name", c.Cluster.Name, "%v", err)
	}
	if c.Cluster.ID > 511 {
		bad("cluster.id", c.Cluster.ID, "out of range 1-511 (0: unknown)")
	}
	if c.Kubernetes == nil && len(c.Clusters) == 0 {
		bad("clusters", "[]", "no source: set kubernetes, clusters or both")
	}
	if c.Kubernetes != nil && c.Kubernetes.Kubeconfig != "" {
		if _, err := os.Stat(c.Kubernetes.Kubeconfig); err != nil {
			bad("kubernetes.kubeconfig", c.Kubernetes.Kubeconfig, "%v", err)
		}
	}
	seen := map[string]int{}
	for i, k := range c.Clusters {
		f := fmt.Sprintf("clusters[%d]", i)
		if err := mesh.ValidateClusterName(k.Name); err != nil {
			bad(f+".name", k.Name, "%v", err)
		} else if j, dup := seen[k.Name]; dup {
			bad(f+".name", k.Name, "listed twice (also clusters[%d])", j)
		} else {
			seen[k.Name] = i
		}
		if k.Name == c.Cluster.Name && c.Kubernetes != nil {
			bad(f+".name", k.Name, "is the local cluster, already read from kubernetes")
		}
		if k.ID > 511 {
			bad(f+".id", k.ID, "out of range 1-511 (0: from the cluster's config)")
		}
		if k.Name == c.Cluster.Name && k.ID != 0 && c.Cluster.ID != 0 && k.ID != c.Cluster.ID {
			bad(f+".id", k.ID, "differs from cluster.id %d", c.Cluster.ID)
		}
		if len(k.Endpoints) == 0 {
			bad(f+".endpoints", "[]", "at least one etcd URL is required")
		}
		for j, ep := range k.Endpoints {
			u, err := url.Parse(ep)
			switch {
			case err != nil:
				bad(fmt.Sprintf("%s.endpoints[%d]", f, j), ep, "%v", err)
			case u.Scheme != "http" && u.Scheme != "https":
				bad(fmt.Sprintf("%s.endpoints[%d]", f, j), ep, "scheme must be https or http")
			case u.Host == "":
				bad(fmt.Sprintf("%s.endpoints[%d]", f, j), ep, "no host")
			case u.Scheme == "https" && k.TLS == nil:
				bad(fmt.Sprintf("%s.endpoints[%d]", f, j), ep, "https without tls files (set %s.tls)", f)
			}
		}
		if k.TLS != nil {
			if _, err := k.TLS.load(); err != nil {
				bad(f+".tls", k.TLS.Cert, "%v", err)
			}
		}
	}
	d := c.Datapath
	if d.PinDir != "" {
		if st, err := os.Stat(d.PinDir); err != nil {
			bad("datapath.pinDir", d.PinDir, "%v", err)
		} else if !st.IsDir() {
			bad("datapath.pinDir", d.PinDir, "not a directory")
		}
	}
	if d.MaglevTableSize != 0 {
		if err := maglev.ValidateSize(d.MaglevTableSize); err != nil {
			bad("datapath.maglevTableSize", d.MaglevTableSize, "%v", err)
		}
	}
	if d.MaxServices > 1<<24 {
		bad("datapath.maxServices", d.MaxServices, "out of range 1-16777216 (0: %d)", datapath.DefaultMaxServices)
	}
	if d.MaxBackends > 1<<24 {
		bad("datapath.maxBackends", d.MaxBackends, "out of range 1-16777216 (0: %d)", datapath.DefaultMaxBackends)
	}
	ifs := map[string]int{}
	for i, f := range d.Interfaces {
		field := fmt.Sprintf("datapath.interfaces[%d]", i)
		if f.Name == "" || len(f.Name) >= 16 {
			bad(field+".name", f.Name, "an interface name of 1-15 characters is required")
		} else if j, dup := ifs[f.Name]; dup {
			bad(field+".name", f.Name, "listed twice (also datapath.interfaces[%d])", j)
		} else {
			ifs[f.Name] = i
		}
		if f.Mode != modeXDP && f.Mode != modeTC {
			bad(field+".mode", f.Mode, "must be %q or %q", modeXDP, modeTC)
		}
	}
	if v := time.Duration(c.Sync.Debounce); v < time.Millisecond || v > 10*time.Second {
		bad("sync.debounce", c.Sync.Debounce, "out of range 1ms-10s")
	}
	if v := time.Duration(c.Sync.Timeout); v < time.Second || v > time.Hour {
		bad("sync.timeout", c.Sync.Timeout, "out of range 1s-1h")
	}
	c.validateL2(bad, ifs)
	if c.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen", c.Listen, "want host:port or \"off\": %v", err)
		}
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", c.Log.Format, `must be "text" or "json"`)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level", c.Log.Level, "%v", err)
	}
	return errors.Join(errs...)
}

// validateL2 checks the l2 section (when enabled) against the rest: ifs maps the
// datapath interfaces' names to their index in datapath.interfaces.
func (c *config) validateL2(bad func(field string, value any, format string, args ...any), ifs map[string]int) {
	l := c.L2
	if !l.Enabled {
		return
	}
	if c.Kubernetes == nil {
		bad("kubernetes", "", "required by l2.enabled: leases, policies and Services come from the API server (set kubernetes or -kubeconfig)")
	}
	if l.NodeName == "" {
		bad("l2.nodeName", "", "required (the hostname could not be read)")
	} else if errs := validation.IsDNS1123Subdomain(l.NodeName); len(errs) > 0 {
		bad("l2.nodeName", l.NodeName, "not a Node name: %s", strings.Join(errs, "; "))
	}
	if len(l.Interfaces) == 0 {
		bad("l2.interfaces", "[]", "at least one interface is required (default: the datapath interfaces in xdp mode, none here)")
	}
	seen := map[string]int{}
	for i, name := range l.Interfaces {
		field := fmt.Sprintf("l2.interfaces[%d]", i)
		j, ok := ifs[name]
		switch {
		case name == "":
			bad(field, name, "empty interface name")
		case seen[name] > 0:
			bad(field, name, "listed twice (also l2.interfaces[%d])", seen[name]-1)
		case !ok:
			bad(field, name, "not a datapath interface: ARP is answered by the XDP program, so list it in datapath.interfaces")
		case c.Datapath.Interfaces[j].Mode != modeXDP:
			bad(field, name, "datapath.interfaces[%d] is in %s mode: ARP is answered by the XDP program only (mode xdp)", j, c.Datapath.Interfaces[j].Mode)
		}
		seen[name] = i + 1
	}
	if errs := validation.IsDNS1123Label(l.LeaseNamespace); len(errs) > 0 {
		bad("l2.leaseNamespace", l.LeaseNamespace, "not a namespace name: %s", strings.Join(errs, "; "))
	}
	if err := l.timing().Validate(); err != nil {
		bad("l2.leaseDuration/renewDeadline/retryPeriod", l.timing().String(), "%v", err)
	}
}
