package l2_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/l2"
)

// TestAnnouncerInput: bad options and bad announcements are refused with errors that
// name them, and a refused Update changes nothing; a stopped Announcer refuses more work.
func TestAnnouncerInput(t *testing.T) {
	// The client is never contacted: no announcement reaches an election here.
	kube, err := kubernetes.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	var pushes [][]l2.ResponderEntry
	resp := l2.ResponderFunc(func(_ context.Context, es []l2.ResponderEntry) error {
		pushes = append(pushes, es)
		return nil
	})
	for name, tc := range map[string]struct {
		kube kubernetes.Interface
		node string
		resp l2.Responder
		opts *l2.AnnouncerOptions
		want string
	}{
		"no client":    {nil, "n1", resp, nil, "nil Kubernetes client"},
		"no node":      {kube, "", resp, nil, "empty node name"},
		"no responder": {kube, "n1", nil, nil, "nil Responder"},
		"bad timing":   {kube, "n1", resp, &l2.AnnouncerOptions{Timing: l2.Timing{LeaseDuration: 1, RenewDeadline: 2, RetryPeriod: 1}}, "renewDeadline 2ns is not below"},
		"bad count":    {kube, "n1", resp, &l2.AnnouncerOptions{GratuitousCount: 101}, "GratuitousCount 101"},
		"bad interval": {kube, "n1", resp, &l2.AnnouncerOptions{GratuitousInterval: -1}, "GratuitousInterval -1ns"},
	} {
		_, err := l2.NewAnnouncer(tc.kube, tc.node, tc.resp, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) ||
			!(errors.Is(err, l2.ErrInvalidAnnouncer) || errors.Is(err, l2.ErrInvalidTiming)) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}

	testenv.RequirePrivileged(t)
	n := newNetns(t, "input")
	n.ip(t, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
	var a *l2.Announcer
	if err := n.do(func() (err error) { a, err = l2.NewAnnouncer(kube, "n1", resp, nil); return err }); err != nil {
		t.Fatal(err)
	}
	web := types.NamespacedName{Namespace: "default", Name: "web"}
	ip := netip.MustParseAddr("10.10.200.1")
	err = a.Update([]l2.Announcement{
		{Service: web, IP: ip, Interface: "eth0"}, // valid, but the set is refused as a whole
		{Service: types.NamespacedName{Name: "web"}, IP: ip, Interface: "eth0"},
		{Service: web, Interface: "eth0"},
		{Service: web, IP: netip.MustParseAddr("fe80::1%eth0"), Interface: "eth0"},
		{Service: web, IP: netip.MustParseAddr("0.0.0.0"), Interface: "eth0"},
		{Service: web, IP: ip},
		{Service: web, IP: ip, Interface: "eth9"},
		{Service: web, IP: ip, Interface: "lo"},
	})
	if !errors.Is(err, l2.ErrInvalidAnnouncement) {
		t.Fatalf("Update: %v", err)
	}
	t.Logf("refused set:\n%v", err)
	for _, want := range []string{`/web 10.10.200.1 on eth0: service namespace and name`, `address "invalid IP"`,
		`"fe80::1%eth0"`, `"0.0.0.0"`, "empty interface name", `interface "eth9": no such interface`, `interface "lo": not an Ethernet interface`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Update error lacks %q:\n%v", want, err)
		}
	}
	if strings.Count(err.Error(), "\n") != 6 {
		t.Errorf("want 7 problems, one per line:\n%v", err)
	}
	if err := a.Update(nil); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(pushes) != 1 || pushes[0] != nil {
		t.Errorf("Run stopped at once pushed %v, want one clearing push", pushes)
	}
	if err := a.Run(ctx); !errors.Is(err, l2.ErrStopped) {
		t.Errorf("second Run: %v", err)
	}
	if err := a.Update([]l2.Announcement{{Service: web, IP: ip, Interface: "eth0"}}); !errors.Is(err, l2.ErrStopped) {
		t.Errorf("Update after Run: %v", err)
	}
}
