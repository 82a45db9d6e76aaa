//go:build !faultpoints

package fault

// Point does nothing: this binary was built without -tags faultpoints.
func Point(string) {}
