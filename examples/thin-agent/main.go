// Command thin-agent makes a plain Linux node reach a mesh's services with ciliumkit's
// own BPF programs: it loads them, programs the service maps from a config file (see
// config.go for the format), and attaches the load balancer to an interface.
//
//	thin-agent -config services.yaml [-iface eth0] [-pin-dir /sys/fs/bpf/ciliumkit]
//
// With -pin-dir the maps and links are pinned on that bpffs directory: the agent syncs,
// prints what it wrote, and exits while traffic keeps flowing; the next run writes only
// what changed. Without -pin-dir it keeps the programs attached until SIGINT or SIGTERM.
// It needs root (CAP_BPF, CAP_NET_ADMIN).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/ciliumkit/ciliumkit/datapath"
)

func main() {
	fs := flag.NewFlagSet("thin-agent", flag.ExitOnError)
	cfg := fs.String("config", "", "services file (YAML or JSON); required")
	iface := fs.String("iface", "", "interface to attach XDP, TC ingress and TC egress to; empty: maps only")
	pin := fs.String("pin-dir", "", "bpffs directory to pin maps and links in; empty: no pinning, run until a signal")
	fs.Parse(os.Args[1:])
	if *cfg == "" {
		fmt.Fprintln(os.Stderr, "thin-agent: -config is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *cfg, *iface, *pin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "thin-agent:", err)
		os.Exit(1)
	}
}

// run syncs the services of cfgPath into the datapath, attaches it to iface (if set) and,
// without pinning, waits for ctx to end. It writes the sync statistics as one JSON line.
func run(ctx context.Context, cfgPath, iface, pinDir string, out io.Writer) error {
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return err
	}
	services, err := parseConfig(data)
	if err != nil {
		return err
	}
	d, err := datapath.Load(&datapath.Options{PinDir: pinDir})
	if err != nil {
		return err
	}
	defer d.Close()
	stats, err := d.Sync(services)
	if err != nil {
		return err
	}
	if iface != "" {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		for _, h := range []datapath.Hook{datapath.HookXDP, datapath.HookTCIngress, datapath.HookTCEgress} {
			l, err := d.Attach(h, ifi.Index)
			if err != nil {
				return fmt.Errorf("attach %s to %s: %w", h, iface, err)
			}
			defer l.Close()
		}
	}
	if err := json.NewEncoder(out).Encode(map[string]int{
		"services": len(services), "servicesWritten": stats.ServicesWritten,
		"servicesDeleted": stats.ServicesDeleted, "backendsWritten": stats.BackendsWritten,
		"maglevWritten": stats.MaglevWritten, "syscalls": stats.Syscalls,
	}); err != nil {
		return err
	}
	if pinDir == "" {
		<-ctx.Done()
	}
	return nil
}
