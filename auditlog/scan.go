package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/keywarden/keywarden/internal/regularfile"
)

// ScanLimit bounds how much of the end of a log Scan reads.
const ScanLimit = 64 << 20

// ScanResult is what Scan found in the last hour of a log.
type ScanResult struct {
	Snapshot
	// LeakLines counts lines in the scanned part that held a stored secret,
	// anywhere in the line however long.
	LeakLines int
	// ScannedBytes is how much of the file's end was read.
	ScannedBytes int64
}

// Scan reads the log at path backwards from its end until it reaches lines
// older than an hour before now (or ScanLimit bytes, and the rest of the
// line that limit falls in), parsing each with p,
// and returns their counts. Lines without a time take the time of the next
// newer line that has one (a traceback belongs to the entry it follows).
func Scan(ctx context.Context, path string, p *Parser, now time.Time) (ScanResult, error) {
	f, err := regularfile.Open(path, "audit log")
	if errors.Is(err, regularfile.ErrNotRegular) {
		return ScanResult{}, err
	} else if err != nil {
		return ScanResult{}, fmt.Errorf("open audit log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ScanResult{}, fmt.Errorf("stat audit log: %w", err)
	}
	stats := NewStats(func() time.Time { return now })
	var res ScanResult
	cutoff := now.Add(-time.Hour - time.Minute)
	newer := fi.ModTime()
	n := 0
	scanned, err := backwardScan(ctx, f, fi.Size(), ScanLimit, p.Redactor, func(line []byte, cutLeak bool) bool {
		n++
		if n%4096 == 0 && ctx.Err() != nil {
			return false
		}
		e := p.Parse(line)
		if e.Redacted || cutLeak {
			res.LeakLines++
		}
		if e.Time.IsZero() {
			e.Time = newer
		} else {
			newer = e.Time
			if e.Time.Before(cutoff) {
				return false
			}
		}
		stats.Add(e)
		return true
	})
	res.ScannedBytes = scanned
	if err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("scan audit log: %w", err)
	}
	res.Snapshot = stats.Snapshot()
	res.Leaks = res.LeakLines
	return res, nil
}

// backwardLines calls fn for each line of the first size bytes of f, newest
// first, reading at most limit bytes from the end (and the rest of the line
// the limit falls in). fn returns false to stop. A line longer than
// MaxLineBytes is passed cut to its last MaxLineBytes. It returns how many
// bytes were read.
func backwardLines(f io.ReaderAt, size, limit int64, fn func([]byte) bool) (int64, error) {
	return backwardScan(context.Background(), f, size, limit, nil, func(line []byte, _ bool) bool { return fn(line) })
}

// backwardScan is backwardLines that also searches the part of a long line
// fn never sees: fn's cutLeak is true when one of r's secrets was in the
// bytes cut from the line's start, or across the cut. The line the limit
// falls in is read to its start, so every byte of every line within the
// window is searched; memory stays bounded by MaxLineBytes and one chunk,
// however long the line.
func backwardScan(ctx context.Context, f io.ReaderAt, size, limit int64, r *Redactor, fn func(line []byte, cutLeak bool) bool) (int64, error) {
	buf := make([]byte, tailChunk)
	var carry []byte // the newest MaxLineBytes of the line continuing into newer chunks
	cut := cutScan{r: r}
	// prepend adds b, the bytes just before those seen so far, to the line
	// in progress.
	prepend := func(b []byte) {
		if cut.active {
			cut.add(b)
			return
		}
		carry = append(append([]byte(nil), b...), carry...)
		if drop := len(carry) - MaxLineBytes; drop > 0 {
			cut.begin(carry[drop:])
			cut.add(carry[:drop])
			carry = carry[drop:]
		}
	}
	pos := size
	read := int64(0)
	for pos > 0 {
		// Past the limit a chunk only completes the line in progress.
		over := read >= limit
		if over && carry == nil {
			break
		}
		if err := ctx.Err(); err != nil {
			return read, fmt.Errorf("scan audit log: %w", err)
		}
		sz := int64(len(buf))
		if pos < sz {
			sz = pos
		}
		pos -= sz
		chunk := buf[:sz]
		if _, err := f.ReadAt(chunk, pos); err != nil && !errors.Is(err, io.EOF) {
			return read, fmt.Errorf("read audit log: %w", err)
		}
		read += sz
		end := len(chunk)
		for i := len(chunk) - 1; i >= 0; i-- {
			if chunk[i] != '\n' {
				continue
			}
			line := chunk[i+1 : end]
			if carry != nil {
				prepend(line)
				line, carry = carry, nil
			}
			end = i
			if len(line) > 0 || i+1 < len(chunk) || pos+int64(i)+1 < size {
				if !fn(capLine(line), cut.leak) {
					return read, nil
				}
			}
			cut = cutScan{r: r}
			if over {
				return read, nil
			}
		}
		if end > 0 {
			prepend(chunk[:end])
		}
	}
	if pos == 0 && len(carry) > 0 {
		fn(capLine(carry), cut.leak)
	}
	return read, nil
}

// cutScan searches the bytes cut from the start of one long line, newest
// first, for a Redactor's secrets (raw and encoded).
type cutScan struct {
	r      *Redactor
	active bool
	leak   bool
	// edge is the oldest bytes seen of the line, one less than the longest
	// needle: a secret may start in older bytes and end in them.
	edge []byte
}

// begin starts the cut; kept is the part of the line fn will get.
func (c *cutScan) begin(kept []byte) {
	c.active = true
	c.edge = append([]byte(nil), kept[:min(len(kept), c.overlap())]...)
}

// add searches older, the bytes just before those seen so far.
func (c *cutScan) add(older []byte) {
	if c.leak || c.r.Empty() {
		return
	}
	w := append(append(make([]byte, 0, len(older)+len(c.edge)), older...), c.edge...)
	if c.r.Contains(w) {
		c.leak = true
		return
	}
	c.edge = append(c.edge[:0], w[:min(len(w), c.overlap())]...)
}

func (c *cutScan) overlap() int { return max(c.r.longest()-1, 0) }

func capLine(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) > MaxLineBytes {
		return b[len(b)-MaxLineBytes:]
	}
	return b
}
