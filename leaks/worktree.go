package leaks

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/keywarden/keywarden/internal/gitsafe"
)

// DefaultMaxFileSize is the largest working-tree file searched; bigger files
// are counted in Report.FilesSkipped.
const DefaultMaxFileSize = 64 << 20

// Git status of a working-tree finding.
const (
	StatusTracked   = "tracked"
	StatusUntracked = "untracked"
	StatusIgnored   = "ignored"
	StatusNoGit     = "not-in-git" // DIR is not inside a git work tree
)

type fileHit struct {
	path    string // slash-separated, relative to the scanned directory
	matches []Match
}

type treeScan struct {
	files, skipped, bytes int64
	hits                  []fileHit
	names                 []Finding // values used as file or directory names
}

// scanTree reads every regular file under dir (except .git directories) up
// to maxSize bytes, in parallel, and matches every file and directory name.
// Ignore rules do not apply: a key in an ignored file is still a key on disk.
func scanTree(ctx context.Context, dir string, m *Matcher, maxSize int64, workers int) (treeScan, error) {
	var skipped int64
	var names []Finding
	res, err := scanFiles(ctx, dir, m, workers, func(paths chan<- string) error {
		return filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				if path == dir {
					return err
				}
				return nil // an unreadable subtree cannot hold a readable leak
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if de.IsDir() && de.Name() == ".git" && path != dir {
				return filepath.SkipDir
			}
			if path != dir {
				names = append(names, nameFindings(m, de.Name(), SourceWorktree, nil)...)
			}
			if de.IsDir() {
				return nil
			}
			if !de.Type().IsRegular() {
				return nil
			}
			if fi, err := de.Info(); err == nil && fi.Size() > maxSize {
				skipped++
				return nil
			}
			rel, _ := filepath.Rel(dir, path)
			paths <- filepath.ToSlash(rel)
			return nil
		})
	})
	res.skipped = skipped
	res.names = dedupeNames(names)
	return res, err
}

// scanPaths reads the given files (slash-separated, relative to dir).
func scanPaths(ctx context.Context, dir string, m *Matcher, paths []string, workers int) ([]fileHit, error) {
	res, err := scanFiles(ctx, dir, m, workers, func(ch chan<- string) error {
		for _, p := range paths {
			if err := ctx.Err(); err != nil {
				return err
			}
			ch <- p
		}
		return nil
	})
	return res.hits, err
}

// scanFiles runs workers that read and match the files feed sends.
func scanFiles(ctx context.Context, dir string, m *Matcher, workers int, feed func(chan<- string) error) (treeScan, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var res treeScan
	var mu sync.Mutex
	paths := make(chan string, 256)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := m.newStream()
			buf := make([]byte, chunkSize)
			for rel := range paths {
				n, err := scanFile(filepath.Join(dir, filepath.FromSlash(rel)), s, buf)
				mu.Lock()
				if err == nil {
					res.files++
					res.bytes += n
					if len(s.hits) > 0 {
						res.hits = append(res.hits, fileHit{rel, s.matches()})
					}
				}
				mu.Unlock()
			}
		}()
	}
	err := feed(paths)
	close(paths)
	wg.Wait()
	sort.Slice(res.hits, func(i, j int) bool { return res.hits[i].path < res.hits[j].path })
	return res, err
}

// scanFile streams one file through s (reset first) and returns its size.
func scanFile(path string, s *stream, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s.reset()
	var n int64
	for {
		k, err := io.ReadFull(f, buf)
		if k > 0 {
			s.write(buf[:k])
			n += int64(k)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// gitStatuses says, for each path (relative to dir), whether git tracks it,
// ignores it, or neither. Outside a git work tree every path is StatusNoGit.
func gitStatuses(ctx context.Context, dir string, paths []string) (map[string]string, error) {
	st := map[string]string{}
	if len(paths) == 0 {
		return st, nil
	}
	if _, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree"); err != nil {
		if errors.Is(err, ErrNotRepo) || errors.Is(err, ErrNoGit) {
			for _, p := range paths {
				st[p] = StatusNoGit
			}
			return st, nil
		}
		return nil, err
	}
	out, err := git(ctx, dir, append([]string{"ls-files", "-z", "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" {
			st[p] = StatusTracked
		}
	}
	var rest []string
	for _, p := range paths {
		if st[p] == "" {
			rest = append(rest, p)
		}
	}
	if len(rest) > 0 {
		// check-ignore exits 1 when nothing is ignored: not an error here.
		out, err := gitInput(ctx, dir, strings.Join(rest, "\x00")+"\x00", "check-ignore", "-z", "--stdin")
		if err != nil {
			return nil, err
		}
		for _, p := range strings.Split(string(out), "\x00") {
			if p != "" {
				st[p] = StatusIgnored
			}
		}
	}
	for _, p := range paths {
		if st[p] == "" {
			st[p] = StatusUntracked
		}
	}
	return st, nil
}

// gitInput runs a read-only git command in dir with input on stdin. Exit
// status 1 (git's "no match" for check-ignore and friends) is not an error.
func gitInput(ctx context.Context, dir, input string, args ...string) ([]byte, error) {
	return gitsafe.Output(ctx, dir, strings.NewReader(input), []int{1}, args...)
}
