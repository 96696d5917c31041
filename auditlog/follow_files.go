package auditlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/internal/regularfile"
)

// headLen is how many leading bytes identify a file's content, as Filebeat's
// fingerprint identity does (1 KiB by default): together with device and
// inode it tells a rotated file we already read from a new one, an inode the
// file system reused from a file's copy (copytruncate).
const headLen = 1024

// openRegular opens path for reading without blocking and refuses anything
// but a regular file: opening a FIFO for reading waits for a writer, and a
// pipe, socket or device has no offsets to resume from after a rotation.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := regularfile.Open(path, "audit log")
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// readHead returns the first bytes of f (at most headLen).
func readHead(f io.ReaderAt, size int64) []byte {
	n := min(size, headLen)
	b := make([]byte, n)
	k, _ := f.ReadAt(b, 0)
	return b[:k]
}

// sameHead reports whether two heads agree on their common length. Empty
// heads agree with nothing: an empty file says nothing about its content.
func sameHead(a, b []byte) bool {
	n := min(len(a), len(b))
	return n > 0 && bytes.Equal(a[:n], b[:n])
}

// known is a file no longer read that may still lie among the siblings
// (a finished rotated file, one there before the follower started), or an
// earlier content of the followed file rewritten in place: its copy carries
// that head.
type known struct {
	fi   os.FileInfo // nil for an earlier content of a file still open
	size int64
	head []byte
}

// rotatedRe matches the names a rotated copy of base gets: logrotate's
// base.1 and dateext base-20261125 (also -2026112516 with an hourly
// dateformat), Python's RotatingFileHandler base.1…base.N and
// TimedRotatingFileHandler base.2026-11-25, base.2026-11-25_16,
// base.2026-11-25_16-04, base.2026-11-25_16-04-11. Compressed copies are
// not read.
func rotatedRe(base string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(base) +
		`(\.[0-9]+|-[0-9]{8}([0-9]{2}){0,3}|\.[0-9]{4}-[0-9]{2}-[0-9]{2}(_[0-9]{2}(-[0-9]{2}(-[0-9]{2})?)?)?)$`)
}

// sibling is a rotated-away file found in the directory.
type sibling struct {
	name string
	fi   os.FileInfo
}

// scanSiblings looks at the rotated copies of the followed file. A copy the
// follower does not know (device and inode, or content head) is a file
// rotated away before the follower saw it at the path: it is opened and read
// from its start, before the file the path names. With record, every copy is
// only remembered (at start: what is there already is history, not news).
func (w *watchLoop) scanSiblings(record bool) {
	dir := filepath.Dir(w.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var sibs []sibling
	for _, de := range entries {
		if !w.rotated.MatchString(de.Name()) || !de.Type().IsRegular() {
			continue
		}
		if fi, err := de.Info(); err == nil && fi.Size() > 0 {
			sibs = append(sibs, sibling{de.Name(), fi})
		}
	}
	// Oldest first: by last write, then by name (a higher .N is older, a
	// later date is newer), for files written within one clock tick.
	slices.SortStableFunc(sibs, func(a, b sibling) int {
		if c := a.fi.ModTime().Compare(b.fi.ModTime()); c != 0 {
			return c
		}
		return rotationRank(b.name) - rotationRank(a.name)
	})
	seen := make([]bool, len(w.gone))
	var found []*tracked
	for _, s := range sibs {
		if w.isOpen(s.fi) {
			continue
		}
		if i := w.goneSame(s.fi); i >= 0 {
			seen[i] = true
			continue
		}
		f, fi, err := openRegular(filepath.Join(dir, s.name))
		if err != nil {
			continue
		}
		head := readHead(f, fi.Size())
		if record || w.isCopy(head, seen) {
			if record {
				w.gone = append(w.gone, known{fi: fi, size: fi.Size(), head: head})
				seen = append(seen, true)
			}
			f.Close()
			continue
		}
		t := &tracked{f: f, fi: fi, lastData: time.Now()}
		found = append(found, t)
	}
	// Forget what is no longer there: a file that is gone cannot come back
	// under a rotated name, and its inode may be reused.
	keep := w.gone[:0]
	for i, g := range w.gone {
		if seen[i] {
			keep = append(keep, g)
		}
	}
	w.gone = keep
	for _, t := range found {
		w.insertRotated(t)
	}
}

// isOpen reports whether fi is a file being read.
func (w *watchLoop) isOpen(fi os.FileInfo) bool {
	for _, t := range w.files {
		if os.SameFile(fi, t.fi) {
			return true
		}
	}
	return false
}

// goneSame returns the index of the known file fi is (same inode, same
// size: unchanged since), or -1.
func (w *watchLoop) goneSame(fi os.FileInfo) int {
	for i, g := range w.gone {
		if g.fi != nil && os.SameFile(fi, g.fi) && g.size == fi.Size() {
			return i
		}
	}
	return -1
}

// isCopy reports whether a file whose content begins with head holds
// content the follower has read or is reading: a known file (grown since,
// or its copy), a file being read (as read, or as it is now: copytruncate's
// copy of content the follower has not reached yet is read from the
// original). It marks the known entries it matched as seen.
func (w *watchLoop) isCopy(head []byte, seen []bool) bool {
	match := false
	for i, g := range w.gone {
		if sameHead(head, g.head) {
			seen[i], match = true, true
		}
	}
	if match {
		return true
	}
	for _, t := range w.files {
		if sameHead(head, t.head) {
			return true
		}
		if st, err := t.f.Stat(); err == nil && sameHead(head, readHead(t.f, st.Size())) {
			return true
		}
	}
	return false
}

// insertRotated puts a newly found rotated-away file among the files being
// read: after every one last written before it, and always before the file
// the path names (it is newer than any rotated copy).
func (w *watchLoop) insertRotated(t *tracked) {
	w.fl.mu.Lock()
	w.fl.rotations++
	w.fl.mu.Unlock()
	end := len(w.files)
	if w.cur != nil {
		end-- // cur is last
	}
	at := end
	for i := 0; i < end; i++ {
		if st, err := w.files[i].f.Stat(); err == nil && st.ModTime().After(t.fi.ModTime()) {
			at = i
			break
		}
	}
	w.files = slices.Insert(w.files, at, t)
	w.changed = true
}

// rotationRank orders names with the same modification time: for a numeric
// suffix (.N) a higher number is older; dates sort as written.
func rotationRank(name string) int {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
		if n > 1<<20 {
			return 0
		}
	}
	return n
}
