package lbipam_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/ipam/lbipam"
)

// helperEnv names the file that turns the test binary into a controller process (see
// TestMain): the test re-runs its own binary with it set to run a controller it can kill.
const helperEnv = "CIK_LBIPAM_HELPER_CONTROLLER"

// helperConfig is what the controller process reads: the API server's address and
// credentials, and the election settings.
type helperConfig struct {
	Host                 string
	CA, Cert, Key        []byte
	LeaseNamespace, Name string
	Identity             string
	LeaseDuration        time.Duration
	RenewDeadline        time.Duration
	RetryPeriod          time.Duration
}

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(runHelperController(path))
	}
	os.Exit(m.Run())
}

// runHelperController runs one controller until its standard input closes (the test
// ends) or it is killed.
func runHelperController(path string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	b, err := os.ReadFile(path)
	if err != nil {
		log.Error("read config", "error", err)
		return 2
	}
	var hc helperConfig
	if err := json.Unmarshal(b, &hc); err != nil {
		log.Error("parse config", "error", err)
		return 2
	}
	cfg := &rest.Config{Host: hc.Host, TLSClientConfig: rest.TLSClientConfig{CAData: hc.CA, CertData: hc.Cert, KeyData: hc.Key}, QPS: 200, Burst: 400}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Error("kubernetes client", "error", err)
		return 2
	}
	cil, err := ciliumclient.NewForConfig(cfg)
	if err != nil {
		log.Error("cilium client", "error", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	c := lbipam.NewController(kube, cil, &lbipam.ControllerOptions{
		Logger: log, RetryInterval: 100 * time.Millisecond, LeaseName: hc.Name, LeaseNamespace: hc.LeaseNamespace,
		Identity: hc.Identity, LeaseDuration: hc.LeaseDuration, RenewDeadline: hc.RenewDeadline, RetryPeriod: hc.RetryPeriod,
	})
	if err := c.Run(ctx); err != nil {
		log.Error("run", "error", err)
		return 1
	}
	return 0
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startControllerProcess runs a controller in a child process (this test binary again)
// and returns it; the test kills it, and cleanup ends it if it still runs.
func startControllerProcess(t *testing.T, e *testenv.Env, ns, identity string) *exec.Cmd {
	t.Helper()
	hc := helperConfig{Host: e.Config.Host, CA: e.Config.CAData, Cert: e.Config.CertData, Key: e.Config.KeyData,
		LeaseNamespace: ns, Name: "lbipam", Identity: identity,
		LeaseDuration: testLeaseDuration, RenewDeadline: testRenewDeadline, RetryPeriod: testRetryPeriod}
	b, err := json.Marshal(hc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "controller.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start controller process: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("controller process %s output:\n%s", identity, out.String())
		}
	})
	return cmd
}

// testLeaderKilled runs the leader in a child process and a follower in this one,
// creates 300 Services, kills the leader with SIGKILL once it has assigned some of them,
// and checks that the follower takes over and that no address moves.
func testLeaderKilled(t *testing.T, e *testenv.Env, cidr string) {
	ns := e.Namespace(t)
	pool := nsPool(t, e, ns, cidr)
	log := watchIngress(t, e, ns)
	proc := startControllerProcess(t, e, ns, "doomed-leader")
	waitLeaseHolder(t, e, ns, "lbipam", func(h string) bool { return h == "doomed-leader" })
	kube, cil := clients(t, e.Config)
	_, follower := startControllerWith(t, kube, cil, replicaOptions(ns, "successor"))

	start := time.Now()
	var killedAt time.Time
	var once sync.Once
	kill := func() {
		once.Do(func() {
			if err := proc.Process.Kill(); err != nil {
				t.Errorf("kill leader: %v", err)
			}
			killedAt = time.Now()
		})
	}
	createServices(t, e.Kube, ns, replicaServices, func(created int) {
		// Kill it mid-run: once a third of the Services exist and some have addresses.
		if created >= replicaServices/3 && log.assigned() >= 20 {
			kill()
		}
	})
	assignedAtKill := log.assigned()
	if killedAt.IsZero() {
		// The leader was slower than the creations: kill it now, with work outstanding.
		deadline := time.Now().Add(time.Minute)
		for log.assigned() < 20 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		assignedAtKill = log.assigned()
		kill()
	}
	waitLeaseHolder(t, e, ns, "lbipam", func(h string) bool { return h == "successor" })
	takeover := time.Since(killedAt)
	waitSettled(t, e, ns, replicaServices, pool)
	settled := time.Since(start)
	time.Sleep(3 * testRetryPeriod)
	log.check(t, settled)
	if !follower.Leading() {
		t.Errorf("the follower does not lead after the leader was killed")
	}
	t.Logf("leader SIGKILLed with %d of %d Services assigned; the follower held the lease %v later (lease duration %v, retry period %v)",
		assignedAtKill, replicaServices, takeover.Round(time.Millisecond), testLeaseDuration, testRetryPeriod)
}
