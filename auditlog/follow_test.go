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
}

// rotation is done by a rotator goroutine concurrently with the writer.
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

func deleteRecreate(t *testing.T, w *botWriter, n int) {
	if err := os.Remove(w.path); err != nil {
		t.Error(err)
	}
	time.Sleep(20 * time.Millisecond) // the path does not exist for a while
	w.reopen.Store(true)
}

// runRotation writes rotationLines lines while rotating, follows the file,
// and returns what the follower sent (seq -> count) and the seqs that are
// in the files at the end.
func runRotation(t *testing.T, rotate rotation, createLate bool) (got map[int]int, inFiles map[int]bool, fl *Follower) {
	dir := t.TempDir()
	w := &botWriter{path: filepath.Join(dir, "api_audit.log")}
	if !createLate {
		w.open(t)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fl, err := Follow(ctx, w.path, FollowOptions{Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if createLate {
		time.Sleep(300 * time.Millisecond)
		if fl.Err() == nil {
			t.Error("Err() is nil while the file does not exist")
		}
		w.open(t)
	}

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // writer
		defer wg.Done()
		for i := 0; i < rotationLines; i++ {
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
		if rotate == nil {
			return
		}
		for n := 1; n*rotateEvery < rotationLines; n++ {
			for w.written.Load() < int64(n*rotateEvery) {
				time.Sleep(100 * time.Microsecond)
			}
			rotate(t, w, n)
			// The next rotation waits for the writer to have reopened:
			// on a busy machine it may write a whole rotation's worth of
			// lines to the old file first, and deleting a path that is
			// not there yet is not a rotation.
			for w.reopen.Load() && w.written.Load() < rotationLines {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()

	var mu sync.Mutex
	got = map[int]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for line := range fl.Lines() {
			n, ok := seqOf(line)
			if !ok {
				t.Errorf("follower sent a line nobody wrote: %.80q", line)
				continue
			}
			mu.Lock()
			got[n]++
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
	// Wait until every line still in a file arrived (or give up), then
	// past the rotate grace, so late duplicates would show.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		n := 0
		for s := range inFiles {
			if got[s] > 0 {
				n++
			}
		}
		mu.Unlock()
		if n == len(inFiles) {
			break
		}
	}
	time.Sleep(700 * time.Millisecond)
	cancel()
	<-done
	return got, inFiles, fl
}

func checkNoLossNoDup(t *testing.T, got map[int]int, inFiles map[int]bool, all bool) {
	t.Helper()
	for n, c := range got {
		if c != 1 {
			t.Errorf("line %d sent %d times", n, c)
		}
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
		t.Errorf("sent %d distinct lines, want all %d", len(got), rotationLines)
	}
}

func TestFollowRenameCreate(t *testing.T) {
	got, inFiles, fl := runRotation(t, renameCreate, false)
	checkNoLossNoDup(t, got, inFiles, true)
	if st := fl.Stats(); st.Rotations != rotationLines/rotateEvery-1 {
		t.Errorf("rotations = %d, want %d", st.Rotations, rotationLines/rotateEvery-1)
	}
}

func TestFollowCopyTruncate(t *testing.T) {
	got, inFiles, fl := runRotation(t, copyTruncate, false)
	// Lines written between the copy and the truncation are in no file:
	// logrotate loses them too. Everything in a file must arrive once.
	checkNoLossNoDup(t, got, inFiles, false)
	st := fl.Stats()
	if st.Truncations < rotationLines/rotateEvery-1 {
		t.Errorf("truncations = %d, want >= %d", st.Truncations, rotationLines/rotateEvery-1)
	}
	t.Logf("copytruncate: %d of %d lines survive in files, follower sent %d; %+v", len(inFiles), rotationLines, len(got), st)
}

func TestFollowDeleteRecreate(t *testing.T) {
	got, inFiles, fl := runRotation(t, deleteRecreate, false)
	checkNoLossNoDup(t, got, inFiles, true)
	if st := fl.Stats(); st.Rotations < rotationLines/rotateEvery-1 {
		t.Errorf("rotations = %d, want >= %d", st.Rotations, rotationLines/rotateEvery-1)
	}
}

func TestFollowSlowCreation(t *testing.T) {
	got, inFiles, _ := runRotation(t, nil, true)
	checkNoLossNoDup(t, got, inFiles, true)
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
	time.Sleep(100 * time.Millisecond)
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
	time.Sleep(200 * time.Millisecond)
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
