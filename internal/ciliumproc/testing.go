package ciliumproc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// StartTimeout bounds StartT: rendering, etcd-init and etcd readiness of every pod.
const StartTimeout = 3 * time.Minute

// StartT starts a mesh for a test and stops it when t ends. opts.Dir defaults to a fresh
// t.TempDir(). A missing binary or privilege skips t, or fails it under
// CIK_REQUIRE_PRIVILEGED=1 (testenv.Unavailable). When t has failed, the tail of every
// container log is logged at cleanup.
func StartT(t testing.TB, opts *Options) *Mesh {
	t.Helper()
	testenv.RequirePrivileged(t)
	o := *opts
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Binaries == nil {
		b, err := FindBinaries()
		if errors.Is(err, ErrNoBinary) {
			testenv.Unavailable(t, err.Error())
		}
		if err != nil {
			t.Fatal(err)
		}
		o.Binaries = b
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	m, err := Start(ctx, &o)
	if err != nil {
		t.Fatalf("ciliumproc: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(m.LogTails(20))
		}
		m.Stop()
	})
	return m
}

// LogTails returns the last n lines of every container log of every pod.
func (m *Mesh) LogTails(n int) string {
	var b strings.Builder
	for _, p := range m.Pods {
		for _, c := range p.Containers() {
			b.WriteString("\n=== " + p.Cluster.Name + "/" + c + " ")
			b.WriteString(p.LogTail(c, n))
			b.WriteString("\n")
		}
	}
	return b.String()
}
