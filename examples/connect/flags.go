package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// clusterRef is one -cluster NAME=ID@CONTEXT.
type clusterRef struct {
	Cluster mesh.Cluster
	// Context is the kubeconfig context; it may contain '@' and '='.
	Context string
}

// parseClusterRef parses NAME=ID@CONTEXT: a valid cluster name, a cluster ID of 1-511
// and a non-empty context name (everything after the first '@').
func parseClusterRef(s string) (clusterRef, error) {
	nameID, ctx, ok := strings.Cut(s, "@")
	if !ok || ctx == "" {
		return clusterRef{}, fmt.Errorf("cluster %q: want NAME=ID@CONTEXT", s)
	}
	name, idStr, ok := strings.Cut(nameID, "=")
	if !ok {
		return clusterRef{}, fmt.Errorf("cluster %q: want NAME=ID@CONTEXT", s)
	}
	if err := mesh.ValidateClusterName(name); err != nil {
		return clusterRef{}, err
	}
	id, err := strconv.ParseUint(idStr, 10, 32)
	if err != nil || id == 0 || id > mesh.MaxConnected511 {
		return clusterRef{}, fmt.Errorf("cluster %q: ID %q is not 1-%d", s, idStr, mesh.MaxConnected511)
	}
	return clusterRef{Cluster: mesh.Cluster{Name: name, ID: uint32(id)}, Context: ctx}, nil
}
