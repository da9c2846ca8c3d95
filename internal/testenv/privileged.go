package testenv

import (
	"os"
	"testing"
)

// RequirePrivilegedEnv is the environment variable that turns a privilege skip into a failure.
const RequirePrivilegedEnv = "CIK_REQUIRE_PRIVILEGED"

// RequirePrivileged skips t when the process is not privileged, naming the reason, or fails
// it when CIK_REQUIRE_PRIVILEGED=1.
func RequirePrivileged(t testing.TB) {
	t.Helper()
	ok, reason := Privileged()
	if ok {
		return
	}
	Unavailable(t, "privileged test: "+reason)
}

// Unavailable skips t with reason, or fails it when CIK_REQUIRE_PRIVILEGED=1. Tests use it
// for anything CI must provide (a privilege, a binary, a kernel feature).
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv(RequirePrivilegedEnv) == "1" {
		t.Fatalf("%s (%s=1 forbids skipping)", reason, RequirePrivilegedEnv)
	}
	t.Skip(reason)
}
