// Package nodump keeps a keywarden process holding secrets from leaving
// them in a core file, as ssh-agent does: RLIMIT_CORE is lowered to 0 and,
// on Linux, the process is marked not dumpable (PR_SET_DUMPABLE 0), which
// also stops a core_pattern pipe handler (systemd-coredump, apport) from
// getting one — the kernel ignores RLIMIT_CORE for pipes — and keeps other
// processes of the same user from ptrace-attaching or reading
// /proc/PID/mem.
//
// Only the soft limit is lowered: the hard limit stays, so RestoreForExec
// can hand a program keywarden replaces itself with (the bot, under
// `exec`) the core limit keywarden was started with. Dumpable needs no
// restoring: execve of a program that is not setuid or setgid marks the
// new image dumpable again.
package nodump

import "sync"

var (
	once     sync.Once
	errSetup error
)

// Disable turns core dumps off for the rest of the process's life. Call it
// before any secret is read. Later calls return the first call's result.
func Disable() error {
	once.Do(func() { errSetup = disable() })
	return errSetup
}

// RestoreForExec gives back the RLIMIT_CORE the process started with, for
// a program about to replace it with execve; call it immediately before
// the exec, and undo when the exec failed and the process goes on holding
// its secrets. It does nothing when Disable was never called.
func RestoreForExec() (undo func(), err error) {
	if err := restore(); err != nil {
		return func() {}, err
	}
	return func() { _ = lower() }, nil
}
