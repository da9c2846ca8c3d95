package resolve

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"

	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
)

// nodeInfo is a node as gateway selection sees it.
type nodeInfo struct {
	name   string
	labels slimlabels.Set
	ip     netip.Addr // first IPv4 InternalIP; invalid when none
	up     bool
	reason string // why not up
}

// nodesOf returns the nodes sorted by name with their health at now.
func nodesOf(nodes []*corev1.Node, leases []*coordinationv1.Lease, now time.Time, o *Options) []nodeInfo {
	byName := map[string]*coordinationv1.Lease{}
	for _, l := range leases {
		if l.Namespace == o.LeaseNamespace {
			byName[l.Name] = l
		}
	}
	out := make([]nodeInfo, 0, len(nodes))
	for _, n := range nodes {
		ni := nodeInfo{name: n.Name, labels: slimlabels.Set(n.Labels)}
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); a.Type == corev1.NodeInternalIP && err == nil && ip.Is4() {
				ni.ip = ip
				break
			}
		}
		ni.up, ni.reason = nodeReady(n)
		if ni.up && o.LeaseNamespace != "" {
			ni.up, ni.reason = leaseFresh(byName[n.Name], o.LeaseNamespace, n.Name, now)
		}
		out = append(out, ni)
	}
	slices.SortFunc(out, func(a, b nodeInfo) int { return strings.Compare(a.name, b.name) })
	return out
}

// nodeReady reports whether n's Ready condition is True, or why not.
func nodeReady(n *corev1.Node) (bool, string) {
	if n.DeletionTimestamp != nil {
		return false, fmt.Sprintf("node %s is being deleted", n.Name)
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return true, ""
			}
			if c.Reason != "" {
				return false, fmt.Sprintf("node %s Ready=%s (%s)", n.Name, c.Status, c.Reason)
			}
			return false, fmt.Sprintf("node %s Ready=%s", n.Name, c.Status)
		}
	}
	return false, fmt.Sprintf("node %s has no Ready condition", n.Name)
}

// leaseFresh reports whether node's heartbeat Lease l is held and unexpired at now, or why
// not.
func leaseFresh(l *coordinationv1.Lease, ns, node string, now time.Time) (bool, string) {
	if l == nil {
		return false, fmt.Sprintf("no agent Lease %s/%s", ns, node)
	}
	s := l.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" || s.RenewTime == nil || s.LeaseDurationSeconds == nil {
		return false, fmt.Sprintf("agent Lease %s/%s is not held", ns, node)
	}
	expiry := s.RenewTime.Add(time.Duration(*s.LeaseDurationSeconds) * time.Second)
	if !now.Before(expiry) {
		return false, fmt.Sprintf("agent Lease %s/%s expired %v ago", ns, node, now.Sub(expiry).Round(time.Millisecond))
	}
	return true, ""
}

// leaseExpiry returns when node's Lease among leases expires, or the zero Time.
func leaseExpiry(leases []*coordinationv1.Lease, ns, node string) time.Time {
	for _, l := range leases {
		s := l.Spec
		if l.Namespace == ns && l.Name == node && s.RenewTime != nil && s.LeaseDurationSeconds != nil {
			return s.RenewTime.Add(time.Duration(*s.LeaseDurationSeconds) * time.Second)
		}
	}
	return time.Time{}
}
