package l2

// LeasePrefix starts the name of every per-Service lease of Cilium's L2 announcer.
const LeasePrefix = "cilium-l2announce-"

// LeaseName returns the name of the coordination.k8s.io Lease that elects the node
// announcing the Service namespace/name: "cilium-l2announce-<namespace>-<name>". Cilium
// keeps these leases in its own namespace (kube-system by default).
func LeaseName(namespace, name string) string {
	return LeasePrefix + namespace + "-" + name
}
