//go:build !unix

package cmd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// execProcess runs the bot as a child where the OS cannot replace a
// process, forwarding interrupts and exiting with the child's status.
func execProcess(path string, argv, env []string) error {
	c := exec.Command(path, argv[1:]...)
	c.Env = env
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	if err := c.Start(); err != nil {
		return fmt.Errorf("cannot start %s: %w", path, err)
	}
	go func() {
		for s := range sig {
			_ = c.Process.Signal(s)
		}
	}()
	err := c.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Code: ee.ExitCode()}
	}
	return err
}
