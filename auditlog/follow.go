package auditlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// FollowOptions tune a Follower. The zero value follows new lines only.
type FollowOptions struct {
	// Backlog is how many lines already in the file are sent first (like
	// tail -n). It applies to the file found at start only.
	Backlog int
	// FromStart sends the whole existing file first (overrides Backlog).
	FromStart bool
	// Poll is the safety-net poll interval behind the file-system events
	// (default 1 s; 250 ms when events are unavailable).
	Poll time.Duration
	// Buffer is how many lines may wait for a slow reader (default 1024).
	// A full buffer makes the follower wait, it never drops lines.
	Buffer int
	// RotateGrace is how long a rotated-away file is still read after its
	// last write, for writers that reopen their log late (default 2 s).
	RotateGrace time.Duration
}

// Follower follows a log file by name, like `tail -F`, and survives rename
// rotation (logrotate's create), copy-truncate, deletion and re-creation, a
// file that does not exist yet and permission changes. It is driven by
// fsnotify events on the file's directory with a slow poll as safety net.
//
// Memory is bounded: at most Buffer lines wait in the channel, each at most
// MaxLineBytes (longer lines are cut and end in TruncatedMark).
type Follower struct {
	lines  chan []byte
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	err       error
	rotations int
	truncs    int
	unrecov   int
}

// Follow starts following path. The returned Follower sends lines (without
// newline) on Lines until ctx is cancelled or Close is called. The file need
// not exist yet.
func Follow(ctx context.Context, path string, opts FollowOptions) (*Follower, error) {
	if path == "" {
		return nil, errors.New("follow audit log: empty path: set audit_log in the profile or pass a file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("follow audit log: %w", err)
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.RotateGrace <= 0 {
		opts.RotateGrace = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	fl := &Follower{lines: make(chan []byte, opts.Buffer), cancel: cancel, done: make(chan struct{})}
	w := &watchLoop{fl: fl, path: abs, opts: opts, ctx: ctx}
	w.start()
	go w.run()
	return fl, nil
}

// Lines returns the channel of lines. It is closed when the follower stops.
func (f *Follower) Lines() <-chan []byte { return f.lines }

// Close stops the follower and waits for it to finish.
func (f *Follower) Close() error {
	f.cancel()
	<-f.done
	return nil
}

// Err returns the current problem reading the file (it does not exist, it
// is unreadable), or nil while the follower reads it. Problems are not fatal:
// the follower keeps trying.
func (f *Follower) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// FollowStats counts what the follower went through.
type FollowStats struct {
	Rotations   int // the path began naming another file (rename, delete+create)
	Truncations int // the file shrank or was rewritten in place (copy-truncate)
	Unrecovered int // truncations whose unread tail was not found in a rotated copy (lines may be lost)
}

// Stats returns the counters so far.
func (f *Follower) Stats() FollowStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FollowStats{Rotations: f.rotations, Truncations: f.truncs, Unrecovered: f.unrecov}
}

func (f *Follower) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// watchLoop is the follower's goroutine state.
type watchLoop struct {
	fl   *Follower
	path string
	opts FollowOptions
	ctx  context.Context

	watcher  *fsnotify.Watcher
	watching bool
	cur      *tracked   // the file the path names
	old      []*tracked // rotated-away files still read until idle
	first    bool       // the next open is the file found at start
}

func (w *watchLoop) start() {
	w.first = true
	if wt, err := fsnotify.NewWatcher(); err == nil {
		w.watcher = wt
		w.addWatch()
	}
	if w.opts.Poll <= 0 {
		w.opts.Poll = time.Second
		if w.watcher == nil {
			w.opts.Poll = 250 * time.Millisecond
		}
	}
	w.open()
}

func (w *watchLoop) addWatch() {
	if w.watcher == nil || w.watching {
		return
	}
	if err := w.watcher.Add(filepath.Dir(w.path)); err == nil {
		w.watching = true
	}
}

func (w *watchLoop) run() {
	defer close(w.fl.done)
	defer close(w.fl.lines)
	defer w.closeAll()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.watcher != nil {
		defer w.watcher.Close()
		events, errs = w.watcher.Events, w.watcher.Errors
	}
	tick := time.NewTicker(w.opts.Poll)
	defer tick.Stop()
	base := filepath.Base(w.path)
	for {
		if !w.check() {
			return
		}
		select {
		case <-w.ctx.Done():
			return
		case <-tick.C:
			w.addWatch()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Name == filepath.Dir(w.path) && ev.Op.Has(fsnotify.Remove|fsnotify.Rename) {
				w.watching = false // re-added by the poll once the directory is back
				continue
			}
			if !related(filepath.Base(ev.Name), base) {
				continue
			}
			// Coalesce a burst of events into one check.
			for drained := false; !drained; {
				select {
				case <-events:
				default:
					drained = true
				}
			}
		case <-errs:
			// An overflowed event queue loses events, not data: the
			// next check reads everything that is there.
		}
	}
}

// related reports whether an event for name concerns the followed file or
// one of its rotated copies (api.log, api.log.1, api.log-20261125).
func related(name, base string) bool {
	return len(name) >= len(base) && name[:len(base)] == base
}

// open opens the file the path names as the current file.
func (w *watchLoop) open() {
	f, err := os.Open(w.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// Whatever appears later is new: read it from its start.
			w.first = false
			w.fl.setErr(fmt.Errorf("audit log %s does not exist yet: waiting for the bot to create it", w.path))
		} else {
			// The file is there but unreadable: once it is readable, the
			// backlog rule still applies to it.
			w.fl.setErr(fmt.Errorf("open audit log: %w (check the file's permissions)", err))
		}
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		w.fl.setErr(fmt.Errorf("stat audit log: %w", err))
		return
	}
	t := &tracked{f: f, fi: fi, lastData: time.Now()}
	if w.first {
		switch {
		case w.opts.FromStart:
		case w.opts.Backlog > 0:
			t.off, err = tailOffset(f, fi.Size(), w.opts.Backlog)
			if err != nil {
				t.off = fi.Size()
			}
		default:
			t.off = fi.Size()
		}
		if t.off > 0 {
			t.remember(t.off)
		}
	}
	w.first = false
	w.cur = t
	w.fl.setErr(nil)
}

// check reads everything new and handles rotation. It returns false when
// the context ended while sending.
func (w *watchLoop) check() bool {
	if w.cur == nil {
		w.open()
	}
	// Read the rotated-away files first: their lines are older.
	keep := w.old[:0]
	for _, t := range w.old {
		if !w.drain(t) {
			return false
		}
		if time.Since(t.lastData) > w.opts.RotateGrace {
			if !w.finish(t) {
				return false
			}
			continue
		}
		keep = append(keep, t)
	}
	w.old = keep
	if w.cur == nil {
		return true
	}
	if !w.drain(w.cur) {
		return false
	}
	fi, err := os.Stat(w.path)
	switch {
	case err == nil && os.SameFile(fi, w.cur.fi):
		return true
	case err != nil && !errors.Is(err, os.ErrNotExist):
		w.fl.setErr(fmt.Errorf("stat audit log: %w (check the directory's permissions)", err))
		return true
	}
	// The path is gone or names another file: keep reading the old one
	// until it goes quiet, and start on the new one from its beginning.
	w.fl.mu.Lock()
	w.fl.rotations++
	w.fl.mu.Unlock()
	w.cur.lastData = time.Now()
	w.old = append(w.old, w.cur)
	w.cur = nil
	if err == nil {
		w.open()
		if w.cur != nil && !w.drain(w.cur) {
			return false
		}
	} else {
		w.fl.setErr(fmt.Errorf("audit log %s was removed: waiting for it to be re-created", w.path))
	}
	return true
}

// finish closes a rotated-away file, sending its unterminated last line.
func (w *watchLoop) finish(t *tracked) bool {
	t.f.Close()
	if len(t.partial) > 0 {
		line := finishLong(t.partial)
		t.partial = nil
		return w.send(append([]byte(nil), line...))
	}
	return true
}

func (w *watchLoop) closeAll() {
	for _, t := range w.old {
		t.f.Close()
	}
	if w.cur != nil {
		w.cur.f.Close()
	}
}

// send delivers a line, waiting for the reader; false when the context ended.
func (w *watchLoop) send(line []byte) bool {
	select {
	case w.fl.lines <- line:
		return true
	case <-w.ctx.Done():
		return false
	}
}
