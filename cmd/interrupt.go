package cmd

import (
	"context"
	"errors"
)

// errInterrupted is returned by a wait for input that SIGINT or SIGTERM
// ended.
var errInterrupted = errors.New("interrupted while waiting for input")

// interruptible runs step, a wait no context can cut short (a read from
// the terminal, a pipe or a FIFO, or opening one), and returns its result,
// or errInterrupted as soon as ctx ends. Main's context ends on SIGINT and
// SIGTERM, which it catches, so without this a blocked read would outlive
// the signal. An abandoned step's goroutine ends with the process.
func interruptible[T any](ctx context.Context, step func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := step()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, errInterrupted
	}
}
