//go:build !unix

package cli

import "time"

// ownCPU is not measured on this system.
func ownCPU() (time.Duration, bool) { return 0, false }
