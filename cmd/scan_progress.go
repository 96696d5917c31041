package cmd

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/keywarden/keywarden/leaks"
)

// progressDelay is how long a scan runs before it shows its progress: a
// fast scan prints nothing extra.
const progressDelay = time.Second

// terminal returns w as a file when it is a terminal.
func terminal(w io.Writer) (*os.File, bool) {
	f, ok := w.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// showProgress redraws one line on w with p's state every interval, once
// delay has passed. stop ends it and clears the line (if one was drawn).
func showProgress(w io.Writer, p *leaks.Progress, delay, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case <-time.After(delay):
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fmt.Fprintf(w, "\r\x1b[Kscanning git history: %s", progressText(p.Done.Load(), p.Total.Load()))
			select {
			case <-done:
				fmt.Fprint(w, "\r\x1b[K")
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}

func progressText(done, total int64) string {
	if total <= 0 {
		return "listing objects…"
	}
	return fmt.Sprintf("%3d%% (%.1f of %.1f MiB)", min(100, done*100/total), float64(done)/(1<<20), float64(total)/(1<<20))
}
