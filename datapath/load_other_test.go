//go:build !linux

package datapath

import (
	"errors"
	"testing"
)

func TestLoadUnsupportedOffLinux(t *testing.T) {
	if _, err := Load(nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Load = %v, want errors.ErrUnsupported", err)
	}
	var d Datapath
	if _, err := d.Attach(HookXDP, 1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Attach = %v, want errors.ErrUnsupported", err)
	}
	if _, err := d.Sync(nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Sync = %v, want errors.ErrUnsupported", err)
	}
}
