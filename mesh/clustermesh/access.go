package clustermesh

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Access is how other clusters reach a cluster's clustermesh-apiserver, as discovered
// from its Service (and, for NodePort, its Nodes).
type Access struct {
	// ServiceType is the type of the clustermesh-apiserver Service.
	ServiceType ServiceType
	// IPs are the addresses to connect to, sorted; empty when Hostname is set.
	IPs []netip.Addr
	// Hostname is a LoadBalancer ingress hostname, used when the ingress has no IP.
	Hostname string
	// Port is the TCP port to connect to: the NodePort, or 2379 for LoadBalancer and
	// ClusterIP.
	Port uint16
	// Warnings are caveats of this kind of access, e.g. for NodePort.
	Warnings []string
}

// NodePortWarning is the caveat attached to NodePort access.
const NodePortWarning = "service type NodePort: peers connect to the nodes' InternalIPs, which breaks when those nodes are removed; prefer LoadBalancer"

// ClusterIPWarning is the caveat attached to ClusterIP access.
const ClusterIPWarning = "service type ClusterIP: peers must be able to route to this cluster's service CIDR"

// AccessFromService derives the access information of a clustermesh-apiserver Service,
// like cilium-cli's connect: LoadBalancer uses the ingress IPs (or the first ingress hostname)
// and port 2379; NodePort uses the InternalIP of every node in nodes and the Service's
// nodePort; ClusterIP uses the ClusterIPs and port 2379. It fails with ErrNoAccess when
// the information is not there yet, and with ErrServiceType for any other type.
func AccessFromService(svc *corev1.Service, nodes []corev1.Node) (*Access, error) {
	where := fmt.Sprintf("Service %s/%s", svc.Namespace, svc.Name)
	var port *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == APIServerPort {
			port = &svc.Spec.Ports[i]
		}
	}
	if port == nil {
		return nil, fmt.Errorf("%w: %s has no port %d", ErrNoAccess, where, APIServerPort)
	}
	a := &Access{ServiceType: ServiceType(svc.Spec.Type), Port: APIServerPort}
	switch a.ServiceType {
	case LoadBalancer:
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			if ip, err := netip.ParseAddr(ing.IP); err == nil {
				a.IPs = append(a.IPs, ip.Unmap())
			} else if ing.Hostname != "" && a.Hostname == "" {
				a.Hostname = ing.Hostname
			}
		}
		if len(a.IPs) > 0 {
			a.Hostname = ""
		} else if a.Hostname == "" {
			return nil, fmt.Errorf("%w: %s of type LoadBalancer has no ingress IP or hostname yet", ErrNoAccess, where)
		}
	case NodePort:
		if port.NodePort == 0 {
			return nil, fmt.Errorf("%w: %s of type NodePort has no nodePort allocated", ErrNoAccess, where)
		}
		a.Port = uint16(port.NodePort)
		for _, n := range nodes {
			for _, addr := range n.Status.Addresses {
				if addr.Type != corev1.NodeInternalIP {
					continue
				}
				if ip, err := netip.ParseAddr(addr.Address); err == nil {
					a.IPs = append(a.IPs, ip.Unmap())
				}
			}
		}
		if len(a.IPs) == 0 {
			return nil, fmt.Errorf("%w: %s of type NodePort: none of %d nodes has an InternalIP", ErrNoAccess, where, len(nodes))
		}
		a.Warnings = append(a.Warnings, NodePortWarning)
	case ClusterIP:
		for _, s := range svc.Spec.ClusterIPs {
			if ip, err := netip.ParseAddr(s); err == nil {
				a.IPs = append(a.IPs, ip.Unmap())
			}
		}
		if len(a.IPs) == 0 {
			return nil, fmt.Errorf("%w: %s of type ClusterIP has no cluster IP (%q)", ErrNoAccess, where, svc.Spec.ClusterIP)
		}
		a.Warnings = append(a.Warnings, ClusterIPWarning)
	default:
		return nil, fmt.Errorf("%w: %s has type %q; want NodePort, LoadBalancer or ClusterIP", ErrServiceType, where, svc.Spec.Type)
	}
	slices.SortFunc(a.IPs, netip.Addr.Compare)
	a.IPs = slices.Compact(a.IPs)
	return a, nil
}

// DiscoverAccess reads the clustermesh-apiserver Service of t (and its Nodes for
// NodePort) and returns AccessFromService. A missing Service is ErrNoAccess.
func DiscoverAccess(ctx context.Context, t Target) (*Access, error) {
	kube, err := t.kube()
	if err != nil {
		return nil, err
	}
	svc, err := kube.CoreV1().Services(t.namespace()).Get(ctx, APIServerName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w: cluster %q: Service %s/%s not found (is clustermesh enabled?)", ErrNoAccess, t.Cluster.Name, t.namespace(), APIServerName)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster %q: read Service %s/%s: %w", t.Cluster.Name, t.namespace(), APIServerName, err)
	}
	return serviceAccess(ctx, kube, t, svc)
}

// serviceAccess is AccessFromService for svc, the clustermesh-apiserver Service already
// read from t, listing t's Nodes through kube when svc is a NodePort.
func serviceAccess(ctx context.Context, kube kubernetes.Interface, t Target, svc *corev1.Service) (*Access, error) {
	var nodes []corev1.Node
	if svc.Spec.Type == corev1.ServiceTypeNodePort {
		nl, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("cluster %q: list Nodes: %w", t.Cluster.Name, err)
		}
		nodes = nl.Items
	}
	a, err := AccessFromService(svc, nodes)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", t.Cluster.Name, err)
	}
	return a, nil
}

// peerValue is the clustermesh.config.clusters entry (without name) for reaching a.
func (a *Access) peerValue() map[string]any {
	v := map[string]any{"port": int(a.Port)}
	if a.Hostname != "" {
		v["address"] = a.Hostname
		return v
	}
	ips := make([]any, len(a.IPs))
	for i, ip := range a.IPs {
		ips[i] = ip.String()
	}
	v["ips"] = ips
	return v
}

// Endpoints returns the addresses as host:port strings, e.g. "192.0.2.10:32379".
func (a *Access) Endpoints() []string {
	if a.Hostname != "" {
		return []string{netJoin(a.Hostname, a.Port)}
	}
	out := make([]string, len(a.IPs))
	for i, ip := range a.IPs {
		out[i] = netip.AddrPortFrom(ip, a.Port).String()
	}
	return out
}

func netJoin(host string, port uint16) string { return fmt.Sprintf("%s:%d", host, port) }
