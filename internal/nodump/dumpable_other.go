//go:build unix && !linux

package nodump

// notDumpable does nothing where there is no PR_SET_DUMPABLE; the core
// limit of 0 is what stops a core there.
func notDumpable() error { return nil }
