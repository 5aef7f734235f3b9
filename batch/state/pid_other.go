//go:build !unix

package state

// processAlive cannot tell here whether a process exists, so it says it
// does: a dead holder's lock is then taken over once it is stale.
func processAlive(pid int) bool { return true }
