//go:build unix

package cmd

import (
	"fmt"
	"syscall"
)

// execProcess replaces keywarden with the bot: signals, the exit status and
// the process id all belong to the bot, and no keywarden process is left
// holding the key in memory.
func execProcess(path string, argv, env []string) error {
	err := syscall.Exec(path, argv, env)
	return fmt.Errorf("cannot start %s: %w", path, err)
}
