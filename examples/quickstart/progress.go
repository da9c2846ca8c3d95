package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints the numbered step lines ("[2/6] ...", then "  ok (1.2s)") and the
// indented detail lines between them.
type progress struct {
	w     io.Writer
	n     int
	since time.Time
}

func (p *progress) step(title string) {
	p.n++
	p.since = time.Now()
	fmt.Fprintf(p.w, "\n[%d/%d] %s\n", p.n, steps, title)
}

// done closes the current step with its duration.
func (p *progress) done() {
	fmt.Fprintf(p.w, "  ok (%s)\n", round(time.Since(p.since)))
}

// say prints one detail line of the current step, indented.
func (p *progress) say(format string, args ...any) {
	if format == "" {
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintf(p.w, "  "+format+"\n", args...)
}

// block prints text (a table, a YAML document) indented by four spaces.
func (p *progress) block(text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			fmt.Fprintln(p.w)
			continue
		}
		fmt.Fprintln(p.w, "    "+line)
	}
}

// round makes a duration short to read: milliseconds below a second, else 0.1 s.
func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
