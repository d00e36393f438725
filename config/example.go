package config

import _ "embed"

//go:embed example.yaml
var example []byte

// Example returns the commented two-site example configuration.
func Example() []byte { return append([]byte(nil), example...) }
