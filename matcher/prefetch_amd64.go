package matcher

import "unsafe"

// prefetch asks the CPU to start loading the cache line at addr (the
// PREFETCHT0 instruction): unlike a load, it does not hold up the
// instructions after it while the line travels from memory.
//
//go:noescape
func prefetch(addr unsafe.Pointer)
