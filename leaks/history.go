package leaks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/keywarden/keywarden/internal/gitsafe"
)

// ErrNotRepo is returned (wrapped) when a directory is not in a git work tree.
var ErrNotRepo = gitsafe.ErrNotRepo

// ErrNoGit is returned (wrapped) when the git program is not installed.
var ErrNoGit = gitsafe.ErrNoGit

// object is one git object to read: id, type and size.
type object struct {
	id   string
	typ  string
	size int64
}

// objectHit is what one object yielded.
type objectHit struct {
	object
	matches []Match
}

// historyScan is the raw outcome of reading the object database.
type historyScan struct {
	objects int64 // blobs, trees, commits and tags read
	bytes   int64
	missing int64 // asked for but not in the repository
	hits    []objectHit
}

// git runs a read-only git command in dir and returns its stdout; stderr
// goes into the error.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return gitsafe.Output(ctx, dir, nil, nil, args...)
}

// listObjects lists every object in the repository's object database in
// pack order, trees too (a value may be a file or directory name). This
// covers every ref (branches, tags, remotes, the stash), reflogs, and
// unreachable objects that gc has not pruned yet.
func listObjects(ctx context.Context, dir string) ([]object, int64, error) {
	out, err := git(ctx, dir, "cat-file", "--batch-all-objects", "--unordered",
		"--batch-check=%(objectname) %(objecttype) %(objectsize)")
	if err != nil {
		return nil, 0, err
	}
	var objs []object
	var total int64
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			out = nil
		}
		f := strings.Fields(string(line))
		if len(f) != 3 {
			continue
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("git cat-file: bad size in %q: %w", line, err)
		}
		objs = append(objs, object{f[0], f[1], n})
		total += n
	}
	return objs, total, nil
}

// scanObjects reads every object once and runs it through the matcher. The
// list is cut into one contiguous run per worker (pack order, so each `git
// cat-file --batch` process keeps its delta-base cache warm) of roughly equal
// bytes, and the workers run in parallel.
func scanObjects(ctx context.Context, dir string, m *Matcher, objs []object, total int64, workers int, prog *Progress) (historyScan, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if readObjectsHook != nil {
		readObjectsHook(objs)
	}
	var parts [][]object
	per := total/int64(workers) + 1
	start, acc := 0, int64(0)
	for i, o := range objs {
		acc += o.size
		if acc >= per && len(parts) < workers-1 {
			parts = append(parts, objs[start:i+1])
			start, acc = i+1, 0
		}
	}
	parts = append(parts, objs[start:])

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]historyScan, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		if len(p) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = catFile(ctx, dir, m, p, prog)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	var sum historyScan
	for i, r := range results {
		if errs[i] != nil && !errors.Is(errs[i], context.Canceled) {
			return sum, errs[i]
		}
		sum.objects += r.objects
		sum.bytes += r.bytes
		sum.missing += r.missing
		sum.hits = append(sum.hits, r.hits...)
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	for _, err := range errs {
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// chunkSize is how much of an object is matched at a time; objects are
// streamed, never held whole.
const chunkSize = 256 << 10

// catFile streams objs through one `git cat-file --batch` process, adding
// each object's size to prog (when not nil) once read.
func catFile(ctx context.Context, dir string, m *Matcher, objs []object, prog *Progress) (historyScan, error) {
	var res historyScan
	cmd := gitsafe.Command(ctx, dir, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return res, err
	}
	growPipe(pw)
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return res, fmt.Errorf("starting git cat-file: %w (is git installed?)", err)
	}
	defer pr.Close()
	var stdout io.Reader = pr
	go func() {
		w := bufio.NewWriterSize(stdin, 64<<10)
		for _, o := range objs {
			if _, err := w.WriteString(o.id + "\n"); err != nil {
				break
			}
		}
		_ = w.Flush()
		_ = stdin.Close()
	}()

	readErr := func() error {
		r := bufio.NewReaderSize(stdout, 1<<20)
		s := m.newStream()
		for range objs {
			header, err := r.ReadSlice('\n')
			if err != nil {
				return fmt.Errorf("reading git cat-file output: %w", err)
			}
			f := strings.Fields(string(header))
			if len(f) == 2 && f[1] == "missing" { // pruned since it was listed, or never there
				res.missing++
				continue
			}
			if len(f) != 3 {
				return fmt.Errorf("git cat-file: unexpected header %q", strings.TrimSpace(string(header)))
			}
			size, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				return fmt.Errorf("git cat-file: bad size in %q: %w", strings.TrimSpace(string(header)), err)
			}
			s.reset()
			for left := size; left > 0; {
				// Match in place in the reader's buffer (no copy), as
				// much as has arrived.
				if r.Buffered() == 0 {
					if _, err := r.Peek(1); err != nil {
						return fmt.Errorf("reading object %s from git cat-file: %w", f[0], err)
					}
				}
				n := int(min(left, int64(r.Buffered())))
				chunk, _ := r.Peek(n)
				s.write(chunk)
				_, _ = r.Discard(n)
				left -= int64(n)
			}
			if _, err := r.Discard(1); err != nil { // the newline after the content
				return fmt.Errorf("reading git cat-file output: %w", err)
			}
			res.objects++
			res.bytes += size
			if prog != nil {
				prog.Done.Add(size)
			}
			if len(s.hits) > 0 {
				res.hits = append(res.hits, objectHit{object{f[0], f[1], size}, s.matches()})
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	}()
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	if readErr != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		return res, readErr
	}
	if waitErr != nil {
		return res, fmt.Errorf("git cat-file in %s: %w: %s", dir, waitErr, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

// countMissing walks every object reachable from the refs and reflogs and
// counts those the object database lacks (`git rev-list --missing=print`
// prints them as "?<id>"). The walk's output is streamed, never held.
func countMissing(ctx context.Context, dir string) (int64, error) {
	cmd := gitsafe.Command(ctx, dir, "rev-list", "--objects", "--all", "--reflog", "--missing=print")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting git rev-list: %w", err)
	}
	var n int64
	r := bufio.NewReaderSize(stdout, 256<<10)
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 && line[0] == '?' {
			n++
		}
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull { // a very long path: skip the rest of the line
				_, err = r.ReadSlice('\n')
			}
		}
		if err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		// A ref naming a commit that is not there is damage too.
		return n, fmt.Errorf("git rev-list in %s: %w: %s (a damaged repository? git fsck says more)", dir, err, msg)
	}
	return n, nil
}
