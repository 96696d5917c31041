package auditlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/keywarden/keywarden/internal/regularfile"
)

// MaxLineBytes is the longest line kept; longer lines are cut there and
// end with TruncatedMark.
const MaxLineBytes = 1 << 20

// TruncatedMark ends a line cut at MaxLineBytes.
const TruncatedMark = " …[truncated]"

const tailChunk = 64 << 10

// Tail returns the last n lines of the file at path, oldest first, without
// their newlines. It reads the file backwards from the end, so its cost
// depends on n and the line lengths, not on the file's size. A last line
// without a newline is included. Lines over MaxLineBytes are truncated.
func Tail(path string, n int) ([][]byte, error) {
	f, err := regularfile.Open(path, "audit log")
	if errors.Is(err, regularfile.ErrNotRegular) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat audit log: %w", err)
	}
	start, err := tailOffset(f, fi.Size(), n)
	if err != nil {
		return nil, err
	}
	var lines [][]byte
	err = readLines(io.NewSectionReader(f, start, fi.Size()-start), func(line []byte) bool {
		lines = append(lines, append([]byte(nil), line...))
		return true
	})
	return lines, err
}

// tailOffset returns the offset at which the last n lines of the first size
// bytes of f begin, reading backwards in chunks.
func tailOffset(f io.ReaderAt, size int64, n int) (int64, error) {
	if n <= 0 {
		return size, nil
	}
	buf := make([]byte, tailChunk)
	end := size
	// A final newline ends the last line; it does not start a new one.
	if size > 0 {
		var last [1]byte
		if _, err := f.ReadAt(last[:], size-1); err != nil {
			return 0, fmt.Errorf("read audit log: %w", err)
		}
		if last[0] == '\n' {
			end = size - 1
		}
	}
	pos := end
	for pos > 0 {
		sz := int64(len(buf))
		if pos < sz {
			sz = pos
		}
		pos -= sz
		chunk := buf[:sz]
		if _, err := f.ReadAt(chunk, pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read audit log: %w", err)
		}
		for i := len(chunk) - 1; i >= 0; i-- {
			if chunk[i] == '\n' {
				n--
				if n == 0 {
					return pos + int64(i) + 1, nil
				}
			}
		}
	}
	return 0, nil
}

// readLines calls fn for each line of r (without newline, trailing \r
// removed), cutting lines over MaxLineBytes. The slice is only valid during
// the call. fn returns false to stop.
func readLines(r io.Reader, fn func([]byte) bool) error {
	br := bufio.NewReaderSize(r, tailChunk)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			line := chunk[:len(chunk)-1]
			if long != nil {
				long = appendCapped(long, line)
				line = finishLong(long)
				long = nil
			}
			if !fn(bytes.TrimSuffix(line, []byte("\r"))) {
				return nil
			}
		case errors.Is(err, bufio.ErrBufferFull):
			long = appendCapped(long, chunk)
		case errors.Is(err, io.EOF):
			if long != nil || len(chunk) > 0 {
				line := chunk
				if long != nil {
					long = appendCapped(long, chunk)
					line = finishLong(long)
				}
				fn(bytes.TrimSuffix(line, []byte("\r")))
			}
			return nil
		default:
			return fmt.Errorf("read audit log: %w", err)
		}
	}
}

// appendCapped appends b to buf, keeping at most MaxLineBytes+1 bytes (the
// extra byte marks that the line was longer).
func appendCapped(buf, b []byte) []byte {
	if buf == nil {
		buf = make([]byte, 0, tailChunk)
	}
	room := MaxLineBytes + 1 - len(buf)
	if room <= 0 {
		return buf
	}
	if len(b) > room {
		b = b[:room]
	}
	return append(buf, b...)
}

func finishLong(buf []byte) []byte {
	if len(buf) <= MaxLineBytes {
		return buf
	}
	return append(buf[:MaxLineBytes], TruncatedMark...)
}
