//go:build unix

package cmd

import (
	"fmt"
	"syscall"

	"github.com/keywarden/keywarden/internal/nodump"
)

// execProcess replaces keywarden with the bot: signals, the exit status and
// the process id all belong to the bot, and no keywarden process is left
// holding the key in memory. The bot gets back the core size limit
// keywarden was started with (see internal/nodump): its crash policy is its
// own, and execve makes it dumpable again.
func execProcess(path string, argv, env []string) error {
	undo, err := nodump.RestoreForExec()
	if err != nil {
		return fmt.Errorf("cannot start %s: %w", path, err)
	}
	err = syscall.Exec(path, argv, env)
	undo()
	return fmt.Errorf("cannot start %s: %w", path, err)
}
