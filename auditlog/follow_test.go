package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	rotationLines = 100_000
	rotateEvery   = 20_000
)

func seqLine(i int) []byte {
	return fmt.Appendf(nil, "2026-11-25 16:04:11,123 | INFO | API CALL: get_ticker | seq=%06d status=200\n", i)
}

func seqOf(line []byte) (int, bool) {
	i := bytes.Index(line, []byte("seq="))
	if i < 0 || i+10 > len(line) {
		return 0, false
	}
	n, err := strconv.Atoi(string(line[i+4 : i+10]))
	return n, err == nil && bytes.Equal(line, bytes.TrimSuffix(seqLine(n), []byte("\n")))
}

// botWriter appends numbered lines like a bot's logging handler: it keeps
// its file open, and reopens it by name when asked (logrotate's postrotate
// HUP), or after it deleted it.
type botWriter struct {
	path    string
	f       *os.File
	written atomic.Int64
	reopen  atomic.Bool
	opens   atomic.Int64
}

func (w *botWriter) open(t *testing.T) {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Error(err)
		return
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f = f
	w.opens.Add(1)
}

// rotation is done by a rotator goroutine concurrently with the writer,
// or (inline) by the writer itself between two lines.
type rotation func(t *testing.T, w *botWriter, n int)

func renameCreate(t *testing.T, w *botWriter, n int) {
	if err := os.Rename(w.path, fmt.Sprintf("%s.%d", w.path, n)); err != nil {
		t.Error(err)
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // logrotate "create"
	if err != nil {
		t.Error(err)
		return
	}
	f.Close()
	time.Sleep(5 * time.Millisecond) // the bot keeps writing to the old file until it gets HUP
	w.reopen.Store(true)
}

// rotatingFileHandler rotates as Python's RotatingFileHandler does, in the
// writer between two records: .N-1 → .N … .1 → .2, the file → .1, and a
// new file opened at once.
func rotatingFileHandler(t *testing.T, w *botWriter, n int) {
	for i := n - 1; i >= 1; i-- {
		if err := os.Rename(fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1)); err != nil {
			t.Error(err)
		}
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		t.Error(err)
	}
	w.open(t)
}

// copyTruncate copies and truncates as logrotate does: lines the bot
// writes between the copy and the truncation are in no file. That loss is
// copytruncate's own; the tests demand only what is in a file.
func copyTruncate(t *testing.T, w *botWriter, n int) {
	src, err := os.Open(w.path)
	if err != nil {
		t.Error(err)
		return
	}
	dst, err := os.Create(fmt.Sprintf("%s.%d", w.path, n))
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Error(err)
	}
	src.Close()
	dst.Close()
	if err := os.Truncate(w.path, 0); err != nil {
		t.Error(err)
	}
}

// deleteRecreate removes the file and lets the bot create it again. A file
// removed before anyone opened it is gone for every reader: as in life, the
// file is there until the follower holds it (it opens it on the create
// event, also while its reader is slow).
func deleteRecreate(t *testing.T, w *botWriter, n int) {
	waitHeld(t, w.path, 2)
	if err := os.Remove(w.path); err != nil {
		t.Error(err)
	}
	time.Sleep(20 * time.Millisecond) // the path does not exist for a while
	w.reopen.Store(true)
}

// scenario is one rotation test.
type scenario struct {
	rotate     rotation
	inline     bool // the writer rotates (RotatingFileHandler), not a rotator goroutine
	reopens    bool // the rotation makes the bot open its file again
	createLate bool // the file appears after the follower started
	// slow makes the reader read nothing until two rotations are done,
	// then, after a share of the lines, nothing until all are: the
	// follower waits on it with several rotations between reads.
	slow bool
	// blind: the follower looks for files only when the reader takes a
	// line, so rotated files are found among the siblings.
	blind bool
}

// runRotation writes rotationLines lines while rotating, follows the file,
// and returns what the follower sent (seq -> count) and the seqs that are
// in the files at the end.
func runRotation(t *testing.T, sc scenario) (got map[int]int, inFiles map[int]bool, fl *Follower) {
	dir := t.TempDir()
	w := &botWriter{path: filepath.Join(dir, "api_audit.log")}
	if !sc.createLate {
		w.open(t)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opts := FollowOptions{Poll: 200 * time.Millisecond, RotateGrace: 100 * time.Millisecond, blind: sc.blind}
	if sc.slow {
		opts.Buffer = 64
	}
	fl, err := Follow(ctx, w.path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sc.createLate {
		if fl.Err() == nil {
			t.Error("Err() is nil while the file does not exist")
		}
		w.open(t)
	}

	const rotations = rotationLines/rotateEvery - 1
	rotated := make([]chan struct{}, rotations+1) // rotated[n] is closed after rotation n
	for i := range rotated {
		rotated[i] = make(chan struct{})
	}
	close(rotated[0])
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // writer
		defer wg.Done()
		for i := 0; i < rotationLines; i++ {
			if sc.inline && i > 0 && i%rotateEvery == 0 {
				sc.rotate(t, w, i/rotateEvery)
				close(rotated[i/rotateEvery])
			}
			if w.reopen.Swap(false) {
				w.open(t)
			}
			if _, err := w.f.Write(seqLine(i)); err != nil {
				t.Error(err)
				return
			}
			w.written.Store(int64(i + 1))
		}
	}()
	go func() { // rotator
		defer wg.Done()
		if sc.rotate == nil {
			for _, c := range rotated[1:] {
				close(c)
			}
			return
		}
		if sc.inline {
			return
		}
		for n := 1; n <= rotations; n++ {
			for w.written.Load() < int64(n*rotateEvery) {
				time.Sleep(100 * time.Microsecond)
			}
			opens := w.opens.Load()
			sc.rotate(t, w, n)
			close(rotated[n])
			// The next rotation waits for the writer to have reopened:
			// on a busy machine it may write a whole rotation's worth of
			// lines to the old file first, and deleting a path that is
			// not there yet is not a rotation.
			for w.reopen.Load() || (w.opens.Load() == opens && sc.reopens) {
				if w.written.Load() == rotationLines {
					break
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()

	var mu sync.Mutex
	var cuts atomic.Int64
	got = map[int]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if sc.slow {
			<-rotated[2]
		}
		n := 0
		for line := range fl.Lines() {
			if sc.slow && n == rotateEvery/2 {
				<-rotated[rotations]
			}
			n++
			seq, ok := seqOf(line)
			if !ok && isCut(line) {
				cuts.Add(1)
				continue
			}
			if !ok {
				t.Errorf("follower sent a line nobody wrote: %.80q", line)
				continue
			}
			mu.Lock()
			got[seq]++
			mu.Unlock()
		}
	}()
	wg.Wait()
	w.f.Close()

	inFiles = map[int]bool{}
	matches, _ := filepath.Glob(w.path + "*")
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			if n, ok := seqOf(l); ok {
				inFiles[n] = true
			}
		}
	}
	// Wait until every line still in a file arrived and the follower let
	// go of every rotated file (after which nothing is read twice), or
	// give up.
	arrived := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for s := range inFiles {
			if got[s] > 0 {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if arrived() == len(inFiles) && fl.Stats().Reading <= 1 {
			break
		}
	}
	cancel()
	<-done
	if c := cuts.Load(); c > 0 {
		t.Logf("%d lines cut by the rotation, sent with CutMark", c)
	}
	return got, inFiles, fl
}

// isCut reports whether line is the start of a written line, marked cut:
// the template's bytes, any digits where the sequence number goes.
func isCut(line []byte) bool {
	start, ok := bytes.CutSuffix(line, []byte(CutMark))
	tmpl := seqLine(0)
	if !ok || len(start) >= len(tmpl) {
		return false
	}
	digits := bytes.Index(tmpl, []byte("seq=")) + len("seq=")
	for i, c := range start {
		if i >= digits && i < digits+6 {
			if c < '0' || c > '9' {
				return false
			}
		} else if c != tmpl[i] {
			return false
		}
	}
	return true
}

func checkNoLossNoDup(t *testing.T, got map[int]int, inFiles map[int]bool, all bool) {
	t.Helper()
	dups := 0
	for n, c := range got {
		if c != 1 {
			dups++
			if dups <= 5 {
				t.Errorf("line %d sent %d times", n, c)
			}
		}
	}
	if dups > 0 {
		t.Errorf("%d lines sent more than once", dups)
	}
	missing := 0
	for n := range inFiles {
		if got[n] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d lines that are in the files were not sent", missing)
	}
	if all && len(got) != rotationLines {
		t.Errorf("sent %d distinct lines, want all %d (%d lost)", len(got), rotationLines, rotationLines-len(got))
	}
}

func TestFollowRenameCreate(t *testing.T) {
	got, inFiles, fl := runRotation(t, scenario{reopens: true, rotate: renameCreate})
	checkNoLossNoDup(t, got, inFiles, true)
	if st := fl.Stats(); st.Rotations != rotationLines/rotateEvery-1 {
		t.Errorf("rotations = %d, want %d", st.Rotations, rotationLines/rotateEvery-1)
	}
}

func TestFollowCopyTruncate(t *testing.T) {
	got, inFiles, fl := runRotation(t, scenario{rotate: copyTruncate})
	// Lines written between the copy and the truncation are in no file:
	// logrotate loses them too. Everything in a file must arrive once.
	checkNoLossNoDup(t, got, inFiles, false)
	// A truncation is noticed in the file, or, when the follower read
	// nothing of a content before it was truncated, as a copy of content
	// it does not know among the siblings (a rotation).
	st := fl.Stats()
	if st.Truncations+st.Rotations < rotationLines/rotateEvery-1 {
		t.Errorf("truncations %d + rotations %d, want >= %d", st.Truncations, st.Rotations, rotationLines/rotateEvery-1)
	}
	t.Logf("copytruncate: %d of %d lines survive in files, follower sent %d; %+v", len(inFiles), rotationLines, len(got), st)
}

func TestFollowDeleteRecreate(t *testing.T) {
	got, inFiles, fl := runRotation(t, scenario{reopens: true, rotate: deleteRecreate})
	checkNoLossNoDup(t, got, inFiles, true)
	if st := fl.Stats(); st.Rotations < rotationLines/rotateEvery-1 {
		t.Errorf("rotations = %d, want >= %d", st.Rotations, rotationLines/rotateEvery-1)
	}
}

func TestFollowRotatingFileHandler(t *testing.T) {
	got, inFiles, _ := runRotation(t, scenario{rotate: rotatingFileHandler, inline: true})
	checkNoLossNoDup(t, got, inFiles, true)
}

func TestFollowSlowCreation(t *testing.T) {
	got, inFiles, _ := runRotation(t, scenario{createLate: true})
	checkNoLossNoDup(t, got, inFiles, true)
}

// TestFollowSlowReader: the reader takes nothing until the writer has
// rotated twice, and again nothing from halfway through the first file
// until every rotation is done. Nothing is lost, sent twice or made up.
func TestFollowSlowReader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sc     scenario
		allOfN bool // every line written must arrive (no rotation loses any by itself)
	}{
		{"rename-create", scenario{reopens: true, rotate: renameCreate, slow: true}, true},
		{"delete-recreate", scenario{reopens: true, rotate: deleteRecreate, slow: true}, true},
		{"rotating-file-handler", scenario{rotate: rotatingFileHandler, inline: true, slow: true}, true},
		{"copytruncate", scenario{rotate: copyTruncate, slow: true}, false},
		// blind: rotated files are found only among the siblings.
		{"rename-create-siblings", scenario{reopens: true, rotate: renameCreate, slow: true, blind: true}, true},
		{"rotating-file-handler-siblings", scenario{rotate: rotatingFileHandler, inline: true, slow: true, blind: true}, true},
		{"copytruncate-siblings", scenario{rotate: copyTruncate, slow: true, blind: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, inFiles, fl := runRotation(t, tc.sc)
			checkNoLossNoDup(t, got, inFiles, tc.allOfN)
			t.Logf("%d of %d lines in files, %d sent; %+v", len(inFiles), rotationLines, len(got), fl.Stats())
		})
	}
}

// A half line the file is truncated under, with no copy holding its rest,
// arrives once, marked; the new content follows.
func TestFollowTruncatedHalfLineIsMarked(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bot.log")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fl, err := Follow(t.Context(), p, FollowOptions{Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	next := func() string {
		select {
		case l := <-fl.Lines():
			return string(l)
		case <-time.After(10 * time.Second):
			t.Fatal("no line within 10 s")
		}
		return ""
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// One write: when the whole line arrives, the half after it was read.
	f.WriteString("whole line\nhalf a li")
	if got := next(); got != "whole line" {
		t.Fatalf("got %q", got)
	}
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	f.WriteString("after\n")
	if got := next(); got != "half a li"+CutMark {
		t.Errorf("half line = %q, want it marked with %q", got, CutMark)
	}
	if got := next(); got != "after" {
		t.Errorf("after the truncation: %q", got)
	}
	if st := fl.Stats(); st.Truncations != 1 || st.Unrecovered != 1 {
		t.Errorf("stats %+v, want one unrecovered truncation", st)
	}
}

func TestRotatedNames(t *testing.T) {
	re := rotatedRe("api.log")
	for name, want := range map[string]bool{
		"api.log.1": true, "api.log.12": true, "api.log-20261125": true, "api.log-2026112516": true,
		"api.log.2026-11-25": true, "api.log.2026-11-25_16": true, "api.log.2026-11-25_16-04": true,
		"api.log.2026-11-25_16-04-11": true,
		"api.log":                     false, "api.log.1.gz": false, "api.log-20261125.gz": false, "api.logger": false,
		"api.log.bak": false, "api.log.swp": false, "xapi.log.1": false, "api.log.": false,
	} {
		if re.MatchString(name) != want {
			t.Errorf("%s: rotated = %v, want %v", name, !want, want)
		}
	}
}

func TestFollowBacklogPartialAndHugeLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bot.log")
	if err := os.WriteFile(p, []byte("old 1\nold 2\nold 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fl, err := Follow(t.Context(), p, FollowOptions{Backlog: 2, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	next := func() string {
		select {
		case l := <-fl.Lines():
			return string(l)
		case <-time.After(10 * time.Second):
			t.Fatal("no line within 10 s")
		}
		return ""
	}
	for _, want := range []string{"old 2", "old 3"} {
		if got := next(); got != want {
			t.Fatalf("backlog line = %q, want %q", got, want)
		}
	}
	// A line written in two parts arrives once, whole.
	f.WriteString("first half ")
	time.Sleep(150 * time.Millisecond)
	f.WriteString("second half\r\n")
	if got := next(); got != "first half second half" {
		t.Errorf("split line = %q", got)
	}
	// A line over MaxLineBytes is cut, and the next line is intact.
	f.Write(bytes.Repeat([]byte("h"), MaxLineBytes+100_000))
	f.WriteString("\nafter huge\n")
	huge := next()
	if len(huge) != MaxLineBytes+len(TruncatedMark) || !strings.HasSuffix(huge, TruncatedMark) {
		t.Errorf("huge line is %d bytes", len(huge))
	}
	if got := next(); got != "after huge" {
		t.Errorf("line after huge = %.40q", got)
	}
}

func TestFollowUnreadableThenReadable(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root reads files regardless of their mode: run this test again
		// as an unprivileged user, for real.
		runUnprivileged(t, "TestFollowUnreadableThenReadable")
		return
	}
	p := filepath.Join(t.TempDir(), "bot.log")
	if err := os.WriteFile(p, []byte("x\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	fl, err := Follow(t.Context(), p, FollowOptions{Backlog: 5, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	if fl.Err() == nil || !strings.Contains(fl.Err().Error(), "permission") {
		t.Errorf("Err() = %v, want a permission error", fl.Err())
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-fl.Lines():
		if string(l) != "x" {
			t.Errorf("got %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing after the file became readable")
	}
}

func TestFollowCloseStops(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bot.log")
	fl, err := Follow(context.Background(), p, FollowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fl.Close()
	if _, ok := <-fl.Lines(); ok {
		t.Error("Lines not closed after Close")
	}
}

// TestFollowDirectoryRecreated: the log's directory is removed and made
// again (a bot redeployed); the follower picks up the new file.
func TestFollowDirectoryRecreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	p := filepath.Join(dir, "bot.log")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("before\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fl, err := Follow(t.Context(), p, FollowOptions{Backlog: 1, Poll: 50 * time.Millisecond, RotateGrace: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	next := func() string {
		select {
		case l := <-fl.Lines():
			return string(l)
		case <-time.After(10 * time.Second):
			t.Fatal("no line within 10 s")
		}
		return ""
	}
	if got := next(); got != "before" {
		t.Fatalf("got %q", got)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); fl.Err() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the follower did not notice its file was removed")
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("after 1\nafter 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"after 1", "after 2"} {
		if got := next(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
