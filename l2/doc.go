// Package l2 covers Cilium's L2 announcements: it builds CiliumL2AnnouncementPolicy
// objects (NewPolicy), decides which policies make a node announce a Service (Select),
// names the per-Service leases (LeaseName), computes what lease timings mean for failover
// and API load (Calculate) and renders the Helm values that turn the feature on
// (HelmValues).
//
// It also holds the announcer a node agent runs in place of Cilium's. Watch turns the
// policies, Services and the node's labels read from the API server into the node's
// desired set of (Service, address, interface) announcements; an Announcer competes for
// each Service's lease with client-go leader election, exactly as Cilium's agents do (same
// lease names, holder identity = node name, namespace and timing configurable, so a
// ciliumkit node and Cilium nodes can share Services), hands the addresses of the leases
// it holds to a Responder (the agent's ARP responder, e.g. a datapath's L2 responder map),
// sends gratuitous ARP (IPv4) or unsolicited Neighbor Advertisements (IPv6) when it takes
// an address over, drops addresses as soon as it loses their lease, and releases its
// leases when it shuts down. The package stays free of any datapath: the agent wires the
// two.
//
//	a, err := l2.NewAnnouncer(kube, node, responder, &l2.AnnouncerOptions{OnTransition: count})
//	go a.Run(ctx)
//	err = l2.Watch(ctx, kube, cilium, node, []string{"eth0"}, a.Update, nil)
//
// The Announcer needs Linux (a packet socket, CAP_NET_RAW); everything else builds and
// runs on every operating system.
package l2
