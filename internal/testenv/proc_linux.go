package testenv

import "syscall"

// childAttr makes a child process die with the test process.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
