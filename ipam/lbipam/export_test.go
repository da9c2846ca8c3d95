package lbipam

import (
	"context"

	corev1 "k8s.io/api/core/v1"
)

// RebuildForTest makes c's allocator from the API server, as a new leader does.
func RebuildForTest(ctx context.Context, c *Controller) error {
	_, err := c.rebuild(ctx)
	return err
}

// ReconcileOnceForTest runs one reconcile of svc, as given, without the re-read after a
// conflict: it returns the write's error as is.
func ReconcileOnceForTest(ctx context.Context, c *Controller, svc *corev1.Service) error {
	return c.reconcileService(ctx, svc)
}

// SettleForTest reconciles svc, as given, the way the leader does: on a conflict it
// re-reads the Service and decides again.
func SettleForTest(ctx context.Context, c *Controller, svc *corev1.Service) error {
	return c.settle(ctx, svc)
}

// HeldForTest returns the addresses c's allocator holds for namespace/name.
func HeldForTest(c *Controller, namespace, name string) []string {
	s := c.alloc.services.get(namespace, name)
	if s == nil {
		return nil
	}
	var out []string
	for _, ip := range s.ips {
		out = append(out, ip.String())
	}
	return out
}
