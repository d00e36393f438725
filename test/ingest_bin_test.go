package test

import "sync"

// The binary citadelBin built, once per test binary run.
var (
	binOnce sync.Once
	binPath string
)
