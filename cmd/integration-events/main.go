// Command integration-events runs the integration events processor, its demo,
// and clients of its operator API.
package main

import (
	"fmt"
	"os"
)

func main() {
	setGCDefaults()
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
