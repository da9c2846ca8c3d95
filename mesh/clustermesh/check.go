package clustermesh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is the state of several clusters together, as Check and Wait report it.
type State struct {
	// Clusters are in the order of the targets.
	Clusters []*ClusterStatus
	// Problems lists, in words, everything that keeps the mesh from being ready: a
	// clustermesh-apiserver not ready or unreachable, a link of the topology not
	// configured, a peer configured on one side only.
	Problems []string
}

// Ready reports whether there are no problems.
func (m *State) Ready() bool { return len(m.Problems) == 0 }

// Check reads Status of every target and checks them against topology: every
// clustermesh-apiserver ready with access information, every link of the topology
// configured, and, except for OneWay, every configured peer configured on both sides.
// It fills in PeerStatus.Mutual for peers among the targets.
func Check(ctx context.Context, targets []Target, topology Topology) (*State, error) {
	ms := &State{}
	byName := map[string]*ClusterStatus{}
	for _, t := range targets {
		st, err := Status(ctx, t)
		if err != nil {
			return nil, err
		}
		ms.Clusters = append(ms.Clusters, st)
		byName[st.Cluster] = st
	}
	for _, st := range ms.Clusters {
		a := st.APIServer
		switch {
		case !a.Found:
			ms.Problems = append(ms.Problems, fmt.Sprintf("%s: clustermesh-apiserver Deployment not found", st.Cluster))
		case !a.IsReady:
			ms.Problems = append(ms.Problems, fmt.Sprintf("%s: clustermesh-apiserver %d/%d ready", st.Cluster, a.Ready, a.Desired))
		}
		if st.AccessError != "" {
			ms.Problems = append(ms.Problems, fmt.Sprintf("%s: %s", st.Cluster, st.AccessError))
		}
		for i := range st.Peers {
			p := &st.Peers[i]
			other, ok := byName[p.Name]
			if !ok {
				continue
			}
			mutual := other.Peer(st.Cluster) != nil
			p.Mutual = &mutual
			if !mutual && topology != OneWay {
				ms.Problems = append(ms.Problems, fmt.Sprintf("%s: peer %s is configured on one side only (%s lacks %s)", st.Cluster, p.Name, p.Name, st.Cluster))
			}
		}
	}
	links := topology.Links(len(targets))
	for i, st := range ms.Clusters {
		for _, j := range links[i] {
			if st.Peer(ms.Clusters[j].Cluster) == nil {
				ms.Problems = append(ms.Problems, fmt.Sprintf("%s: peer %s not configured", st.Cluster, ms.Clusters[j].Cluster))
			}
		}
	}
	ms.Problems = slices.Compact(ms.Problems)
	return ms, nil
}

// WaitOptions configure Wait. The zero value polls every two seconds for a FullMesh.
type WaitOptions struct {
	// Topology the mesh should have; default FullMesh.
	Topology Topology
	// Interval between polls; default 2 s.
	Interval time.Duration
	// Progress, if set, is called with each state read, Step "wait" and the problems.
	Progress func(Progress, *State)
}

// StepWait is the Step of Wait's progress reports.
const StepWait Step = "wait"

// Wait polls Check until the mesh is ready or ctx ends. On timeout it returns the
// last state and an error wrapping ErrNotReady that lists the remaining problems.
// Transient API errors are retried until ctx ends. A poll still in flight when ctx ends
// is left to finish on its own rather than cut off: client-go logs a request whose body
// read is cancelled through the global klog, and Wait's deadline is its normal end.
func Wait(ctx context.Context, targets []Target, o *WaitOptions) (*State, error) {
	if o == nil {
		o = &WaitOptions{}
	}
	interval := o.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	start := time.Now()
	var (
		last    *State
		lastErr error
	)
	for {
		st, err := checkUntil(ctx, targets, o.Topology)
		if err == nil {
			last, lastErr = st, nil
			if o.Progress != nil {
				o.Progress(Progress{Step: StepWait, Detail: strings.Join(st.Problems, "; ")}, st)
			}
			if st.Ready() {
				return st, nil
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			waited := time.Since(start).Round(time.Millisecond)
			switch {
			case last != nil && lastErr == nil:
				return last, fmt.Errorf("%w after %s: %s", ErrNotReady, waited, strings.Join(last.Problems, "; "))
			case lastErr != nil:
				return last, fmt.Errorf("%w after %s: %w", ErrNotReady, waited, lastErr)
			default:
				return last, fmt.Errorf("%w after %s: %w", ErrNotReady, waited, errors.Join(ctx.Err(), err))
			}
		case <-time.After(interval):
		}
	}
}

// checkUntil runs Check on a context that is not cancelled with ctx, and returns when it
// is done or ctx ends, whichever comes first.
func checkUntil(ctx context.Context, targets []Target, topology Topology) (*State, error) {
	type result struct {
		st  *State
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Check(context.WithoutCancel(ctx), targets, topology)
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		return r.st, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
