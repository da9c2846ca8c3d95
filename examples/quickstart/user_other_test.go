//go:build !unix

package main

import (
	"os/exec"
	"testing"
)

func giveToUser(*testing.T, string) {}

// runUnprivileged leaves cmd as it is: the test's user runs it.
func runUnprivileged(*exec.Cmd) string { return "the test's own user" }

func checkOwner(*testing.T, string) {}
