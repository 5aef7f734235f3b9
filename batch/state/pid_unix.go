//go:build unix

package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// processAlive reports whether process pid exists on this host (in this PID
// namespace). A zombie (killed, not yet reaped by its parent) counts as gone.
// When it cannot tell, it says alive: the lock then waits for staleness.
func processAlive(pid int) bool {
	if pid <= 0 {
		return true
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	// Linux: the state after the command name in /proc/<pid>/stat.
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
		return false
	}
	return true
}
