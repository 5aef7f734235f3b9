//go:build !amd64

package matcher

import "unsafe"

// prefetch does nothing where navsync has no prefetch instruction wired up.
func prefetch(unsafe.Pointer) {}
