package auditlog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/keywarden/keywarden/internal/regularfile"
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

	// blind turns off looking for files while a line waits for the
	// reader, so a test can make rotated files be found only among the
	// siblings.
	blind bool
}

// Follower follows a log file by name, like `tail -F`, and survives rename
// rotation (logrotate's create, Python's RotatingFileHandler renaming .1 to
// .2), copy-truncate, deletion and re-creation, a file that does not exist
// yet and permission changes. It is driven by fsnotify events on the file's
// directory with a slow poll as safety net.
//
// Files are known by device and inode plus the first bytes of their content
// (as Vector and Filebeat identify files). Every file the path names is
// opened as soon as it is seen, also while the reader is slow, and read to
// its end through that descriptor, wherever it is renamed or even deleted.
// After a rotation the siblings with a rotated name (api.log.1,
// api.log-20261125, api.log.2026-11-25_16) are looked at: one it does not
// know was rotated away before the follower saw it, and is read from its
// start, oldest first, before the file the path names now.
//
// A line is never passed off as whole when only its start was read. A
// truncation (copy-truncate) while a line is half read: the rest is taken
// from the copy when it is there; when it is not, the half line is sent
// once, ending in CutMark. If the writer finishes that line in the
// truncated file, the rest arrives as its own line. A rotated-away file
// that ends in an unterminated line (logrotate copied a line being
// written) sends it with CutMark when the file is let go.
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
	reading   int
}

// CutMark ends a line the follower has only the start of: the file was
// truncated under it (copy-truncate) and no copy holds the rest, or a
// rotated-away file ends in it.
const CutMark = " …[cut]"

// Follow starts following path. The returned Follower sends lines (without
// newline) on Lines until ctx is cancelled or Close is called. The file need
// not exist yet; a path that names something other than a regular file (a
// FIFO, a device, a directory) is refused.
func Follow(ctx context.Context, path string, opts FollowOptions) (*Follower, error) {
	if path == "" {
		return nil, errors.New("follow audit log: empty path: set audit_log in the profile or pass a file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("follow audit log: %w", err)
	}
	if fi, err := os.Stat(abs); err == nil {
		if err := regularfile.Check(abs, "audit log", fi); err != nil {
			return nil, err
		}
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.RotateGrace <= 0 {
		opts.RotateGrace = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	fl := &Follower{lines: make(chan []byte, opts.Buffer), cancel: cancel, done: make(chan struct{})}
	w := &watchLoop{fl: fl, path: abs, opts: opts, ctx: ctx, rotated: rotatedRe(filepath.Base(abs))}
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
// is unreadable, it is not a regular file), or nil while the follower reads
// it. Problems are not fatal: the follower keeps trying.
func (f *Follower) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// FollowStats counts what the follower went through.
type FollowStats struct {
	Rotations   int // the path began naming another file (rename, delete+create), or a rotated file was found among the siblings
	Truncations int // the file shrank or was rewritten in place (copy-truncate)
	Unrecovered int // truncations whose unread tail was not found in a rotated copy (lines may be lost)
	Reading     int // files open now: the one the path names and rotated-away ones not yet quiet
}

// Stats returns the counters so far.
func (f *Follower) Stats() FollowStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return FollowStats{Rotations: f.rotations, Truncations: f.truncs, Unrecovered: f.unrecov, Reading: f.reading}
}

func (f *Follower) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// watchLoop is the follower's goroutine state.
type watchLoop struct {
	fl      *Follower
	path    string
	opts    FollowOptions
	ctx     context.Context
	rotated *regexp.Regexp // names of the path's rotated copies

	watcher  *fsnotify.Watcher
	watching bool
	events   <-chan fsnotify.Event
	errs     <-chan error
	tick     *time.Ticker

	files   []*tracked // open files, oldest first; cur, when set, is last
	cur     *tracked   // the file the path names
	gone    []known    // files no longer read that must not be read again
	first   bool       // the next open is the file found at start
	changed bool       // files were added since the current pass began
	scan    bool       // the siblings should be looked at
}

func (w *watchLoop) start() {
	w.first = true
	if wt, err := fsnotify.NewWatcher(); err == nil {
		w.watcher = wt
		w.events, w.errs = wt.Events, wt.Errors
		w.addWatch()
	}
	if w.opts.Poll <= 0 {
		w.opts.Poll = time.Second
		if w.watcher == nil {
			w.opts.Poll = 250 * time.Millisecond
		}
	}
	w.tick = time.NewTicker(w.opts.Poll)
	w.scanSiblings(true)
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
	defer w.tick.Stop()
	if w.watcher != nil {
		defer w.watcher.Close()
	}
	for {
		if !w.check() {
			return
		}
		select {
		case <-w.ctx.Done():
			return
		case <-w.tick.C:
			w.onTick()
		case ev, ok := <-w.events:
			if !ok {
				w.events = nil
				continue
			}
			w.onEvent(ev)
			// Coalesce a burst of events into one check.
			for drained := false; !drained; {
				select {
				case ev, ok := <-w.events:
					if !ok {
						w.events, drained = nil, true
						continue
					}
					w.onEvent(ev)
				default:
					drained = true
				}
			}
		case <-w.errs:
			// An overflowed event queue loses events, not data: the
			// next check reads everything that is there, and looks at
			// the siblings.
			w.scan = true
		}
	}
}

func (w *watchLoop) onTick() {
	w.addWatch()
	w.scan = true
}

// onEvent notes what an event asks for: a look at the path, or also at the
// siblings when a rotated copy was created or renamed.
func (w *watchLoop) onEvent(ev fsnotify.Event) {
	if ev.Name == filepath.Dir(w.path) && ev.Op.Has(fsnotify.Remove|fsnotify.Rename) {
		w.watching = false // re-added by the poll once the directory is back
		return
	}
	if name := filepath.Base(ev.Name); name != filepath.Base(w.path) && w.rotated.MatchString(name) {
		w.scan = true
	}
}

// open opens the file the path names as the current file.
func (w *watchLoop) open() {
	f, fi, err := openRegular(w.path)
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, regularfile.ErrNotRegular):
			w.fl.setErr(err)
		case errors.Is(err, os.ErrNotExist):
			// Whatever appears later is new: read it from its start.
			w.first = false
			w.fl.setErr(fmt.Errorf("audit log %s does not exist yet: waiting for the bot to create it", w.path))
		case errors.As(err, &pe):
			// The file is there but unreadable: once it is readable, the
			// backlog rule still applies to it.
			w.fl.setErr(fmt.Errorf("open audit log: %w (check the file's permissions)", err))
		default:
			w.fl.setErr(fmt.Errorf("open audit log: %w", err))
		}
		return
	}
	for _, t := range w.files {
		if os.SameFile(fi, t.fi) { // a rotated file renamed back
			f.Close()
			w.setCur(t)
			return
		}
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
			t.head = readHead(f, t.off)
		}
	}
	w.first = false
	w.files = append(w.files, t)
	w.setCur(t)
	w.changed = true
	w.fl.setErr(nil)
}

// setCur makes t, already in files, the file the path names (and last).
func (w *watchLoop) setCur(t *tracked) {
	w.files = slices.DeleteFunc(w.files, func(x *tracked) bool { return x == t })
	w.files = append(w.files, t)
	w.cur = t
	w.countOpen()
}

func (w *watchLoop) countOpen() {
	w.fl.mu.Lock()
	w.fl.reading = len(w.files)
	w.fl.mu.Unlock()
}

// look notices a rotation (the path names another file, or none) and, when
// asked, new rotated files among the siblings. It only opens files: reading
// is check's. It also runs while a line waits for a slow reader, so a file
// the writer creates and removes meanwhile is held open in time.
func (w *watchLoop) look() {
	if w.cur == nil {
		w.open()
	} else {
		fi, err := os.Stat(w.path)
		switch {
		case err == nil && os.SameFile(fi, w.cur.fi):
		case err != nil && !errors.Is(err, os.ErrNotExist):
			w.fl.setErr(fmt.Errorf("stat audit log: %w (check the directory's permissions)", err))
		default:
			// The path is gone or names another file: keep reading the
			// old one until it goes quiet, and start on the new one
			// from its beginning.
			w.fl.mu.Lock()
			w.fl.rotations++
			w.fl.mu.Unlock()
			w.cur.lastData = time.Now()
			w.cur = nil
			w.scan = true
			if err == nil {
				w.open()
			} else {
				w.fl.setErr(fmt.Errorf("audit log %s was removed: waiting for it to be re-created", w.path))
			}
		}
	}
	if w.scan {
		w.scan = false
		w.scanSiblings(false)
		w.countOpen()
	}
}

// check reads everything new, oldest file first, and handles rotation. It
// returns false when the context ended while sending.
func (w *watchLoop) check() bool {
	for {
		w.changed = false
		w.look()
		for _, t := range slices.Clone(w.files) {
			if !w.drain(t) {
				return false
			}
			if w.changed { // an older file turned up: read it first
				break
			}
		}
		if w.changed {
			continue
		}
		// Every file was read to its end in order: the quiet rotated ones
		// can go.
		if !w.retire() {
			return false
		}
		if !w.changed {
			return true
		}
	}
}

// retire closes the rotated-away files that have been quiet for
// RotateGrace, and remembers them so the siblings scan does not read them
// again.
func (w *watchLoop) retire() bool {
	for _, t := range slices.Clone(w.files) {
		if t == w.cur || time.Since(t.lastData) <= w.opts.RotateGrace {
			continue
		}
		if !w.drain(t) {
			return false
		}
		if time.Since(t.lastData) <= w.opts.RotateGrace {
			continue // written to again
		}
		if st, err := t.f.Stat(); err == nil {
			w.gone = append(w.gone, known{fi: st, size: st.Size(), head: t.head})
		}
		w.files = slices.DeleteFunc(w.files, func(x *tracked) bool { return x == t })
		w.countOpen()
		if !w.finish(t) {
			return false
		}
	}
	return true
}

// finish closes a rotated-away file, sending its unterminated last line
// marked as cut.
func (w *watchLoop) finish(t *tracked) bool {
	t.f.Close()
	if len(t.partial) > 0 && !t.skipping {
		line := append(append([]byte(nil), finishLong(t.partial)...), CutMark...)
		t.partial = nil
		return w.send(line)
	}
	return true
}

func (w *watchLoop) closeAll() {
	for _, t := range w.files {
		t.f.Close()
	}
}

// send delivers a line, waiting for the reader; false when the context
// ended. While it waits it keeps looking for new files (see look).
func (w *watchLoop) send(line []byte) bool {
	for {
		select {
		case w.fl.lines <- line:
			return true
		case <-w.ctx.Done():
			return false
		case <-w.tickC():
			w.onTick()
			w.look()
		case ev, ok := <-w.eventsC():
			if !ok {
				w.events = nil
				continue
			}
			w.onEvent(ev)
			w.look()
		}
	}
}

// tickC and eventsC are what send waits on besides the reader: nothing
// when the loop is blind.
func (w *watchLoop) tickC() <-chan time.Time {
	if w.opts.blind {
		return nil
	}
	return w.tick.C
}

func (w *watchLoop) eventsC() <-chan fsnotify.Event {
	if w.opts.blind {
		return nil
	}
	return w.events
}
