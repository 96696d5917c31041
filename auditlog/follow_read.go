package auditlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"time"
)

// fingerprintLen is how many bytes before the read offset are remembered to
// notice a file rewritten in place (copy-truncate followed by new writes that
// already reach past the old offset).
const fingerprintLen = 64

const readChunk = 256 << 10

// tracked is one open file being read.
type tracked struct {
	f        *os.File
	fi       os.FileInfo
	off      int64
	partial  []byte // bytes after the last newline, at most MaxLineBytes+1
	skipping bool   // partial overflowed: drop bytes up to the next newline
	recent   [fingerprintLen]byte
	rn       int    // valid bytes in recent
	head     []byte // the content's first bytes (at most headLen), as read
	lastData time.Time
	buf      []byte
}

// remember loads the fingerprint ending at off from the file.
func (t *tracked) remember(off int64) {
	n := int64(fingerprintLen)
	if off < n {
		n = off
	}
	k, _ := t.f.ReadAt(t.recent[:n], off-n)
	t.rn = k
	if int64(k) != n {
		t.rn = 0
	}
}

// intact reports whether the bytes before t.off are still the ones read.
func (t *tracked) intact(r io.ReaderAt) bool {
	if t.rn == 0 {
		return true
	}
	var b [fingerprintLen]byte
	k, _ := r.ReadAt(b[:t.rn], t.off-int64(t.rn))
	return k == t.rn && bytes.Equal(b[:t.rn], t.recent[:t.rn])
}

// note updates the fingerprint after data was consumed up to t.off.
func (t *tracked) note(data []byte) {
	if len(data) >= fingerprintLen {
		copy(t.recent[:], data[len(data)-fingerprintLen:])
		t.rn = fingerprintLen
		return
	}
	keep := fingerprintLen - len(data)
	if keep > t.rn {
		keep = t.rn
	}
	var tmp [fingerprintLen]byte
	copy(tmp[:], t.recent[t.rn-keep:t.rn])
	copy(tmp[keep:], data)
	t.recent = tmp
	t.rn = keep + len(data)
}

// drain reads t from its offset to the end, sending complete lines. It
// notices in-place rewrites (copy-truncate) before and after each read.
func (w *watchLoop) drain(t *tracked) bool {
	if t.buf == nil {
		t.buf = make([]byte, readChunk)
	}
	for {
		fi, err := t.f.Stat()
		if err != nil {
			return true
		}
		size := fi.Size()
		if size < t.off || !t.intact(t.f) {
			if !w.truncated(t) {
				return false
			}
			if w.changed { // copies of unseen content come first
				return true
			}
			continue
		}
		if size == t.off {
			return true
		}
		n := size - t.off
		if n > int64(len(t.buf)) {
			n = int64(len(t.buf))
		}
		k, err := t.f.ReadAt(t.buf[:n], t.off)
		if k == 0 {
			return true
		}
		if !t.intact(t.f) { // rewritten while we read: what we read may be new data
			continue
		}
		if !w.consume(t, t.buf[:k]) {
			return false
		}
		if err != nil {
			return true
		}
	}
}

// consume splits data into lines, sends them and advances t.
func (w *watchLoop) consume(t *tracked, data []byte) bool {
	if n := int64(len(t.head)); n == t.off && n < headLen {
		t.head = append(t.head, data[:min(int64(len(data)), headLen-n)]...)
	}
	t.off += int64(len(data))
	t.note(data)
	t.lastData = time.Now()
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if !t.skipping {
				t.partial = appendCapped(t.partial, data)
				if len(t.partial) > MaxLineBytes {
					if !w.send(append([]byte(nil), finishLong(t.partial)...)) {
						return false
					}
					t.partial, t.skipping = t.partial[:0], true
				}
			}
			return true
		}
		seg := data[:i]
		data = data[i+1:]
		if t.skipping {
			t.skipping = false
			continue
		}
		var line []byte
		if len(t.partial) > 0 {
			t.partial = appendCapped(t.partial, seg)
			line = append([]byte(nil), finishLong(t.partial)...)
			t.partial = t.partial[:0]
		} else {
			if len(seg) > MaxLineBytes {
				seg = append(seg[:MaxLineBytes:MaxLineBytes], TruncatedMark...)
			}
			line = append([]byte(nil), seg...)
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if !w.send(line) {
			return false
		}
	}
	return true
}

// truncated handles a file that shrank or was rewritten in place. With
// copy-truncate the lines written between our last read and the truncation
// are in the fresh copy (api.log.1, api.log-20261125): they are read from
// there when the copy's bytes before our offset match what we read. Copies
// of contents the follower never saw (several truncations while the reader
// was slow) are then found among the siblings and read before the file's
// new content.
func (w *watchLoop) truncated(t *tracked) bool {
	w.fl.mu.Lock()
	w.fl.truncs++
	w.fl.mu.Unlock()
	if cp := w.rotatedCopy(t); cp != nil {
		for {
			k, err := cp.ReadAt(t.buf, t.off)
			if k > 0 && !w.consume(t, t.buf[:k]) {
				cp.Close()
				return false
			}
			if err != nil || k == 0 {
				break
			}
		}
		cp.Close()
	} else {
		w.fl.mu.Lock()
		w.fl.unrecov++
		w.fl.mu.Unlock()
	}
	if len(t.partial) > 0 && !t.skipping {
		// The rest of this line is in no file we can read: say so rather
		// than pass the half off as a whole line.
		cut := append(append([]byte(nil), finishLong(t.partial)...), CutMark...)
		if !w.send(cut) {
			return false
		}
	}
	t.partial, t.skipping = t.partial[:0], false
	t.off, t.rn = 0, 0
	// The content read so far may lie in copies: they are not news.
	if len(t.head) > 0 {
		w.gone = append(w.gone, known{head: t.head})
	}
	t.head = nil
	w.scanSiblings(false)
	return true
}

// rotatedCopy finds the newest sibling named like a rotated copy of the
// followed file whose content continues what we read, or nil.
func (w *watchLoop) rotatedCopy(t *tracked) *os.File {
	if t.off == 0 {
		return nil
	}
	dir := filepath.Dir(w.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var best *os.File
	var bestTime time.Time
	for _, de := range entries {
		if !w.rotated.MatchString(de.Name()) || !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil || fi.Size() < t.off || os.SameFile(fi, t.fi) || !fi.ModTime().After(bestTime) {
			continue
		}
		f, _, err := openRegular(filepath.Join(dir, de.Name()))
		if err != nil {
			continue
		}
		if !t.intact(f) {
			f.Close()
			continue
		}
		if best != nil {
			best.Close()
		}
		best, bestTime = f, fi.ModTime()
	}
	return best
}
