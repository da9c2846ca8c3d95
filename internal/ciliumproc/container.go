package ciliumproc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StopTimeout is how long Stop waits after SIGTERM before it kills a process group.
const StopTimeout = 5 * time.Second

// restartBackoff is the pause before a container that exited is started again (the
// Deployment's restartPolicy is Always).
const restartBackoff = time.Second

// container is one process of a pod: argv run in the pod's network namespace and a mount
// namespace of its own, in its own process group, logging to logPath.
type container struct {
	name    string
	argv    []string
	env     []string
	script  string // mount commands run before argv
	logPath string
	ns      *netns

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	err      error // how the last run ended
	restarts int
	stopping bool
	loopDone chan struct{}
}

// start runs the container once; use run to keep it running.
func (c *container) start() error {
	log, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "==> %s %s: %s\n", time.Now().UTC().Format(time.RFC3339Nano), c.name, strings.Join(c.argv, " "))
	args := append([]string{"--mount", "--propagation", "private", "--", "/bin/sh", "-c", c.script + `exec "$@"`, c.name}, c.argv...)
	cmd := c.ns.command(context.Background(), nil, "unshare", args...)
	cmd.Env = c.env
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start container %s: %w", c.name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(log, "==> %s %s exited: %v\n", time.Now().UTC().Format(time.RFC3339Nano), c.name, err)
		log.Close()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(exited)
	}()
	c.mu.Lock()
	c.cmd, c.exited = cmd, exited
	c.mu.Unlock()
	return nil
}

// runToCompletion runs an init container and waits until it exits; an exit status other
// than 0 is an error with the tail of its log.
func (c *container) runToCompletion(ctx context.Context) error {
	if err := c.start(); err != nil {
		return err
	}
	select {
	case <-c.exited:
	case <-ctx.Done():
		c.stop()
		return fmt.Errorf("init container %s: %w\n%s", c.name, ctx.Err(), c.tail(30))
	}
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("init container %s: %w\n%s", c.name, err, c.tail(30))
	}
	return nil
}

// run starts the container and restarts it whenever it exits, until stop.
func (c *container) run() error {
	if err := c.start(); err != nil {
		return err
	}
	c.loopDone = make(chan struct{})
	go func() {
		defer close(c.loopDone)
		for {
			c.mu.Lock()
			exited := c.exited
			c.mu.Unlock()
			<-exited
			time.Sleep(restartBackoff)
			c.mu.Lock()
			if c.stopping {
				c.mu.Unlock()
				return
			}
			c.restarts++
			c.mu.Unlock()
			if err := c.start(); err != nil {
				return
			}
		}
	}()
	return nil
}

// stop sends SIGTERM to the container's process group, then SIGKILL after StopTimeout, and
// waits until it has exited and is not restarted.
func (c *container) stop() {
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
	for {
		c.mu.Lock()
		cmd, exited := c.cmd, c.exited
		c.mu.Unlock()
		if cmd == nil {
			return
		}
		terminate(cmd, exited)
		if c.loopDone == nil {
			return
		}
		select {
		case <-c.loopDone:
			c.mu.Lock()
			last, lastExited := c.cmd, c.exited
			c.mu.Unlock()
			if last != cmd {
				terminate(last, lastExited)
			}
			return
		case <-time.After(3 * restartBackoff):
			// The restart loop started the process again before it saw stopping.
		}
	}
}

// terminate stops the process group of cmd: SIGTERM, SIGKILL after StopTimeout.
func terminate(cmd *exec.Cmd, exited <-chan struct{}) {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(StopTimeout):
	}
	// Kill whatever is left of the group (e.g. the etcd that etcdinit started).
	syscall.Kill(-pgid, syscall.SIGKILL)
	<-exited
}

// tail returns the last n lines of the container's log, headed by its path.
func (c *container) tail(n int) string {
	return logTail(c.logPath, n)
}

func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("--- %s: %v", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("--- %s (last %d lines) ---\n%s", filepath.Base(path), len(lines), strings.Join(lines, "\n"))
}

// envList turns env into KEY=VALUE entries sorted by key.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
