package main

import (
	"os"
	"path/filepath"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// writeDiagram writes plan.Mermaid() to out, or, when out is empty, to a new file
// ciliumkit-mesh-*.mmd in the temporary directory, and prints the absolute path.
func writeDiagram(p *progress, plan *mesh.Plan, out string) error {
	text := []byte(plan.Mermaid())
	if out == "" {
		f, err := os.CreateTemp("", "ciliumkit-mesh-*.mmd")
		if err != nil {
			return err
		}
		out = f.Name()
		_, err = f.Write(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	} else if err := os.WriteFile(out, text, 0o644); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		abs = out
	}
	p.block(string(text))
	p.say("")
	p.say("Mermaid diagram written to %s", abs)
	p.say("(%d bytes; paste it into https://mermaid.live or a ```mermaid block of any Markdown viewer; -out FILE picks the file)", len(text))
	return nil
}
