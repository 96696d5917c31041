package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ScanLimit bounds how much of the end of a log Scan reads.
const ScanLimit = 64 << 20

// ScanResult is what Scan found in the last hour of a log.
type ScanResult struct {
	Snapshot
	// LeakLines counts lines in the scanned part that held a stored secret.
	LeakLines int
	// ScannedBytes is how much of the file's end was read.
	ScannedBytes int64
}

// Scan reads the log at path backwards from its end until it reaches lines
// older than an hour before now (or ScanLimit bytes), parsing each with p,
// and returns their counts. Lines without a time take the time of the next
// newer line that has one (a traceback belongs to the entry it follows).
func Scan(ctx context.Context, path string, p *Parser, now time.Time) (ScanResult, error) {
	f, err := os.Open(path)
	if err != nil {
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
	scanned, err := backwardLines(f, fi.Size(), ScanLimit, func(line []byte) bool {
		n++
		if n%4096 == 0 && ctx.Err() != nil {
			return false
		}
		e := p.Parse(line)
		if e.Redacted {
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
// first, reading at most limit bytes from the end. fn returns false to stop.
// A line longer than MaxLineBytes is passed cut to its last MaxLineBytes.
// It returns how many bytes were read.
func backwardLines(f io.ReaderAt, size, limit int64, fn func([]byte) bool) (int64, error) {
	buf := make([]byte, tailChunk)
	var carry []byte // the start of the line continuing into newer chunks
	pos := size
	read := int64(0)
	for pos > 0 && read < limit {
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
				carry = append(append([]byte(nil), line...), carry...)
				line, carry = carry, nil
			}
			end = i
			if len(line) > 0 || i+1 < len(chunk) || pos+int64(i)+1 < size {
				if !fn(capLine(line)) {
					return read, nil
				}
			}
		}
		if end > 0 {
			carry = append(append([]byte(nil), chunk[:end]...), carry...)
			if len(carry) > MaxLineBytes {
				carry = carry[len(carry)-MaxLineBytes:]
			}
		}
	}
	if pos == 0 && len(carry) > 0 {
		fn(capLine(carry))
	}
	return read, nil
}

func capLine(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) > MaxLineBytes {
		return b[len(b)-MaxLineBytes:]
	}
	return b
}
