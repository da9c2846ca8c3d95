package resolve

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DefaultLeaseDuration is HeartbeatOptions.Duration's default: how long after its last
// renewal a gateway agent's Lease keeps its node up.
const DefaultLeaseDuration = 15 * time.Second

// HeartbeatOptions configure Heartbeat. The zero value (or nil) selects the defaults.
type HeartbeatOptions struct {
	// Duration is the Lease's leaseDurationSeconds: a gateway whose agent stops is down
	// (its endpoints fail over) at most Duration after the agent's last renewal. Whole
	// seconds, at least 1s; zero means DefaultLeaseDuration.
	Duration time.Duration
	// Interval is the time between renewals, in (0, Duration); zero means Duration / 3.
	Interval time.Duration
	// Logger receives failed renewals (they are retried at the next interval); nil
	// discards them.
	Logger *slog.Logger
}

// withDefaults returns o with defaults filled in, or an error naming the bad field.
func (o *HeartbeatOptions) withDefaults() (HeartbeatOptions, error) {
	var r HeartbeatOptions
	if o != nil {
		r = *o
	}
	if r.Duration == 0 {
		r.Duration = DefaultLeaseDuration
	}
	if r.Duration < time.Second || r.Duration%time.Second != 0 {
		return r, fmt.Errorf("%w: heartbeat Duration %v: want whole seconds, at least 1s", ErrInvalidOptions, r.Duration)
	}
	if r.Interval == 0 {
		r.Interval = r.Duration / 3
	}
	if r.Interval <= 0 || r.Interval >= r.Duration {
		return r, fmt.Errorf("%w: heartbeat Interval %v: want in (0, %v)", ErrInvalidOptions, r.Interval, r.Duration)
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Heartbeat keeps the Lease namespace/node (coordination.k8s.io/v1, holder node) renewed
// every opts.Interval until ctx ends, so that Resolve with Options.LeaseNamespace =
// namespace counts the node as up. A gateway agent runs it for its own node. The first
// renewal is made before Heartbeat waits; it returns an error wrapping
// ErrInvalidOptions for bad options, else ctx's error when ctx ends. It does not release
// the Lease on return: a stopped agent and a crashed one fail over alike, after the
// Lease expires.
func Heartbeat(ctx context.Context, kube kubernetes.Interface, namespace, node string, opts *HeartbeatOptions) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	if namespace == "" || node == "" {
		return fmt.Errorf("%w: heartbeat Lease %q/%q: namespace and node must be set", ErrInvalidOptions, namespace, node)
	}
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		if err := renew(ctx, kube, namespace, node, o.Duration); err != nil && ctx.Err() == nil {
			o.Logger.Warn("egress gateway heartbeat failed", "lease", namespace+"/"+node, "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// renew creates the Lease or sets its holder and renew time.
func renew(ctx context.Context, kube kubernetes.Interface, namespace, node string, d time.Duration) error {
	leases := kube.CoordinationV1().Leases(namespace)
	now := metav1.NewMicroTime(time.Now())
	secs := int32(d / time.Second)
	l, err := leases.Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: node, Namespace: namespace},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &node, LeaseDurationSeconds: &secs,
				AcquireTime: &now, RenewTime: &now},
		}, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create Lease %s/%s: %w", namespace, node, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get Lease %s/%s: %w", namespace, node, err)
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != node {
		l.Spec.AcquireTime = &now
	}
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &node, &secs, &now
	if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("renew Lease %s/%s: %w", namespace, node, err)
	}
	return nil
}
