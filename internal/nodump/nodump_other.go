//go:build !unix

package nodump

// Where there are no rlimits, crash dumps are the OS's business.
func disable() error { return nil }

func restore() error { return nil }

func lower() error { return nil }
