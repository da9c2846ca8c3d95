package datapath_test

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/signal"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// An agent's whole life: load the programs with pinned maps, program the services the
// mesh selected, attach to the node's interface, and keep traffic flowing after exit.
// (Compile-only: it needs root on Linux and a bpffs at /sys/fs/bpf.)
func ExampleLoad() {
	d, err := datapath.Load(&datapath.Options{PinDir: "/sys/fs/bpf/ciliumkit"})
	if errors.Is(err, errors.ErrUnsupported) {
		log.Fatal("the datapath needs Linux: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close() // pinned maps and links stay in the kernel

	fe := lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: lb.TCP}
	local := []lb.Backend{{Addr: netip.MustParseAddrPort("10.240.0.5:8080"), Protocol: lb.TCP, ClusterID: 1}}
	remote := []lb.Backend{{Addr: netip.MustParseAddrPort("10.245.0.7:8080"), Protocol: lb.TCP, ClusterID: 2}}
	svc := datapath.Service{Frontend: fe, Backends: lb.Select(&lb.Global{Affinity: lb.AffinityLocal}, local, remote).Backends}
	st, err := d.Sync([]datapath.Service{svc})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d entries with %d syscalls in %v\n", st.Entries(), st.Syscalls, st.Duration)

	eth0, err := net.InterfaceByName("eth0")
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range []datapath.Hook{datapath.HookXDP, datapath.HookTCEgress} {
		l, err := d.Attach(h, eth0.Index)
		if err != nil {
			log.Fatal(err)
		}
		l.Close() // pinned: the program stays attached
	}
}

// A sync loop: each desired set replaces the previous one, and only what changed is
// written (nothing at all when nothing changed). (Compile-only.)
func ExampleDatapath_Sync() {
	d, err := datapath.Load(nil) // not pinned: the maps go away with the process
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	updates := make(chan []datapath.Service) // fed by a kvstore or informer watch
	for desired := range updates {
		st, err := d.Sync(desired)
		if errors.Is(err, datapath.ErrCapacity) || errors.Is(err, datapath.ErrDuplicate) {
			log.Printf("desired set refused, maps unchanged: %v", err)
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("%d services: %d written, %d deleted", len(desired), st.ServicesWritten, st.ServicesDeleted)
	}
}

// Attach without pinning: the programs handle traffic while the links are open, so the
// agent runs until it is told to stop. (Compile-only.)
func ExampleDatapath_Attach() {
	d, err := datapath.Load(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	eth0, err := net.InterfaceByName("eth0")
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range []datapath.Hook{datapath.HookXDP, datapath.HookTCIngress, datapath.HookTCEgress} {
		l, err := d.Attach(h, eth0.Index)
		if err != nil {
			log.Fatalf("attach %v to eth0: %v", h, err)
		}
		defer l.Close() // detaches
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
}
