package main

import (
	"errors"
	"fmt"
	"net/netip"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// config is the agent's input file (YAML or JSON):
//
//	localCluster: 1
//	services:
//	- frontend: 10.96.0.10:80
//	  protocol: TCP
//	  global: true
//	  affinity: local          # none (default) | local | remote
//	  backends:
//	  - {addr: 10.240.0.5:8080, cluster: 1}
//	  - {addr: 10.245.0.7:8080, cluster: 2, state: terminating}
type config struct {
	LocalCluster uint32          `json:"localCluster"`
	Services     []serviceConfig `json:"services"`
}

type serviceConfig struct {
	Frontend string          `json:"frontend"`
	Protocol string          `json:"protocol"`
	Global   bool            `json:"global"`
	Affinity string          `json:"affinity"`
	Backends []backendConfig `json:"backends"`
}

type backendConfig struct {
	Addr    string `json:"addr"`
	Cluster uint32 `json:"cluster"`
	State   string `json:"state"`
}

// parseConfig decodes data strictly and turns every service into the datapath form,
// choosing backends with lb.Select: a backend of localCluster is local, any
// other is remote. It reports every problem, each naming the service and the value.
func parseConfig(data []byte) ([]datapath.Service, error) {
	var c config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var (
		errs []error
		out  []datapath.Service
	)
	for i, s := range c.Services {
		svc, err := s.service(c.LocalCluster)
		if err != nil {
			errs = append(errs, fmt.Errorf("services[%d] (%s): %w", i, s.Frontend, err))
			continue
		}
		out = append(out, svc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (s serviceConfig) service(localCluster uint32) (datapath.Service, error) {
	var errs []error
	addr, err := netip.ParseAddrPort(s.Frontend)
	if err != nil {
		errs = append(errs, fmt.Errorf("frontend %q: %w", s.Frontend, err))
	}
	proto := lb.TCP
	if s.Protocol != "" {
		if proto, err = lb.ParseProtocol(s.Protocol); err != nil {
			errs = append(errs, err)
		}
	}
	var g *lb.Global
	if s.Global {
		g = &lb.Global{}
		if s.Affinity != "" {
			if g.Affinity, err = lb.ParseAffinity(s.Affinity); err != nil {
				errs = append(errs, err)
			}
		}
	} else if s.Affinity != "" {
		errs = append(errs, fmt.Errorf("affinity %q on a service that is not global", s.Affinity))
	}
	var local, remote []lb.Backend
	for j, b := range s.Backends {
		ap, err := netip.ParseAddrPort(b.Addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("backends[%d] addr %q: %w", j, b.Addr, err))
			continue
		}
		st := lb.BackendActive
		if b.State != "" {
			if st, err = lb.ParseBackendState(b.State); err != nil {
				errs = append(errs, fmt.Errorf("backends[%d]: %w", j, err))
				continue
			}
		}
		mb := lb.Backend{Addr: ap, Protocol: proto, State: st, ClusterID: b.Cluster}
		if b.Cluster == localCluster || b.Cluster == 0 {
			local = append(local, mb)
		} else {
			remote = append(remote, mb)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return datapath.Service{}, err
	}
	fe := lb.Frontend{Addr: addr, Protocol: proto}
	return datapath.Service{Frontend: fe, Backends: lb.Select(g, local, remote).Backends}, nil
}
