package ciliumproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// bind is one mount of a container: a host file or directory at a path of the container.
type bind struct {
	// target is the absolute path inside the container.
	target string
	// source is the host file or directory.
	source string
	// readOnly mounts it read-only.
	readOnly bool
}

// mountScript returns the shell commands that give a fresh mount namespace the container's
// view: each bind at its target, and a private tmpfs on /tmp. A target whose path does not
// exist on the host is created in an overlay of its deepest existing ancestor directory, with
// the overlay's upper layer under work, so the host's file system is never written.
func mountScript(work string, binds []bind) (string, error) {
	type planned struct {
		bind
		real string // target with the host's symlinks resolved
		dir  bool
	}
	var plan []planned
	roots := map[string]bool{}
	for _, b := range binds {
		if !filepath.IsAbs(b.target) {
			return "", fmt.Errorf("mount target %q is not absolute", b.target)
		}
		fi, err := os.Stat(b.source)
		if err != nil {
			return "", fmt.Errorf("mount source of %s: %w", b.target, err)
		}
		real, existing, err := resolve(b.target)
		if err != nil {
			return "", err
		}
		if real != existing { // the target is missing on the host
			if existing == "/" {
				return "", fmt.Errorf("mount target %s: no existing parent below /", b.target)
			}
			roots[existing] = true
		}
		plan = append(plan, planned{bind: b, real: real, dir: fi.IsDir()})
	}
	// Overlay only the outermost roots; targets below an inner root go into the outer one.
	var outer []string
	for r := range roots {
		nested := false
		for o := range roots {
			if o != r && strings.HasPrefix(r, o+"/") {
				nested = true
			}
		}
		if !nested {
			outer = append(outer, r)
		}
	}
	slices.Sort(outer)
	var sb strings.Builder
	sb.WriteString("set -e\n")
	for i, r := range outer {
		upper, wd := filepath.Join(work, fmt.Sprint(i), "upper"), filepath.Join(work, fmt.Sprint(i), "work")
		for _, d := range []string{upper, wd} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return "", err
			}
		}
		for _, p := range plan {
			rel, ok := strings.CutPrefix(p.real, r+"/")
			if !ok || exists(p.real) {
				continue
			}
			if err := mkMountPoint(filepath.Join(upper, rel), p.dir); err != nil {
				return "", err
			}
		}
		for _, s := range []string{r, upper, wd} {
			if strings.ContainsAny(s, ",:= \t\n'\"\\") {
				return "", fmt.Errorf("path %q cannot be an overlay option", s)
			}
		}
		fmt.Fprintf(&sb, "mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s\n", r, upper, wd, r)
	}
	slices.SortFunc(plan, func(a, b planned) int { return strings.Count(a.real, "/") - strings.Count(b.real, "/") })
	for _, p := range plan {
		fmt.Fprintf(&sb, "mount --bind %s %s\n", quote(p.source), quote(p.real))
		if p.readOnly {
			fmt.Fprintf(&sb, "mount -o remount,bind,ro %s\n", quote(p.real))
		}
	}
	sb.WriteString("mount -t tmpfs -o mode=1777 tmpfs /tmp\n")
	return sb.String(), nil
}

// resolve returns target with the symlinks of its existing prefix resolved, and the deepest
// existing directory on that path (equal to the result when the target exists).
func resolve(target string) (real, existing string, err error) {
	parts := strings.Split(strings.Trim(filepath.Clean(target), "/"), "/")
	cur := "/"
	for i, p := range parts {
		next := filepath.Join(cur, p)
		if _, err := os.Lstat(next); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return filepath.Join(append([]string{cur}, parts[i:]...)...), cur, nil
			}
			return "", "", err
		}
		if next, err = filepath.EvalSymlinks(next); err != nil {
			return "", "", err
		}
		cur = next
	}
	return cur, cur, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// mkMountPoint creates an empty directory, or an empty file and its parents, at p.
func mkMountPoint(p string, dir bool) error {
	if dir {
		return os.MkdirAll(p, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// quote quotes s for the shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
