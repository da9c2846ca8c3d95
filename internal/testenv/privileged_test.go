package testenv_test

import (
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// TestKernelBPFMap proves that the privileged path runs: it creates a real BPF hash map in
// the running kernel and reads back what it wrote.
func TestKernelBPFMap(t *testing.T) {
	testenv.RequirePrivileged(t)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "cik_probe", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		t.Fatalf("create BPF map: %v", err)
	}
	defer m.Close()
	if err := m.Put(uint32(7), uint64(0xc111)); err != nil {
		t.Fatal(err)
	}
	var v uint64
	if err := m.Lookup(uint32(7), &v); err != nil || v != 0xc111 {
		t.Fatalf("lookup = %#x, %v; want 0xc111", v, err)
	}
	if err := m.Lookup(uint32(8), &v); err == nil {
		t.Fatal("lookup of an absent key succeeded")
	}
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := info.ID(); !ok || id == 0 {
		t.Errorf("map has no kernel ID (%v, %v)", id, ok)
	}
}
