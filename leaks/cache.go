package leaks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultCacheDir is where scan results are cached: the user cache dir
// (os.UserCacheDir) under keywarden/scan. The cache holds findings (where,
// never what), ref state and digests only.
func DefaultCacheDir() (string, error) {
	// Under systemd's CacheDirectory= (the watch unit), the unit's own
	// cache directory; ProtectHome may hide the user's.
	if d := os.Getenv("CACHE_DIRECTORY"); d != "" {
		return filepath.Join(strings.Split(d, ":")[0], "scan"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w (set XDG_CACHE_HOME or HOME)", err)
	}
	return filepath.Join(d, "keywarden", "scan"), nil
}

// valuesDigest identifies the set of values a result was computed for. It
// is one SHA-256 over all of them together, so even a guessable passphrase
// cannot be confirmed from it without also guessing the 64-character API
// secrets hashed with it.
func valuesDigest(targets []Target) string {
	rows := make([]string, 0, len(targets))
	for _, t := range targets {
		rows = append(rows, t.Profile+"\x00"+string(t.Field)+"\x00"+t.Value.Reveal())
	}
	sort.Strings(rows)
	h := sha256.New()
	// v2: trees and ref names are searched, and names are redacted.
	h.Write([]byte("keywarden scan cache v2\x00"))
	for _, r := range rows {
		h.Write([]byte(r))
		h.Write([]byte{0})
	}
	clear(rows)
	return hex.EncodeToString(h.Sum(nil))
}

// refState is what decides what the history holds, digested (state) and
// in the parts an incremental scan needs.
type refState struct {
	gitDir  string
	state   string            // digest of all of the below
	refs    map[string]string // ref name -> the object it names
	head    string            // HEAD's commit; "" when unborn
	objects int64             // loose plus packed objects (count-objects -v)
}

// historyState digests everything that decides what the history holds:
// the refs (branches, tags, remotes, stash), HEAD, and the object database's
// loose and packed object counts (which change when a reflog-only or
// dangling object appears or is pruned).
func historyState(ctx context.Context, dir string) (refState, error) {
	var rs refState
	gd, err := git(ctx, dir, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return rs, err
	}
	h := sha256.New()
	h.Write(gd)
	refs, err := git(ctx, dir, "for-each-ref", "--format=%(objectname) %(refname)")
	if err != nil {
		return rs, err
	}
	h.Write(refs)
	counts, err := git(ctx, dir, "count-objects", "-v")
	if err != nil {
		return rs, err
	}
	h.Write(counts)
	if out, err := git(ctx, dir, "rev-parse", "-q", "--verify", "HEAD"); err == nil {
		h.Write(out) // a detached HEAD is in no ref
		rs.head = string(trimNL(out))
	}
	rs.gitDir, rs.state = string(trimNL(gd)), hex.EncodeToString(h.Sum(nil))
	rs.refs = map[string]string{}
	for _, line := range strings.Split(string(refs), "\n") {
		if id, name, ok := strings.Cut(line, " "); ok {
			rs.refs[name] = id
		}
	}
	for _, line := range strings.Split(string(counts), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		if k == "count" || k == "in-pack" {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			rs.objects += n
		}
	}
	return rs, nil
}

// cacheEntry is one cached result. Findings carry places, not values.
type cacheEntry struct {
	State        string    `json:"state"`
	Findings     []Finding `json:"findings"`
	BlobsScanned int64     `json:"blobs_scanned"`
	BytesScanned int64     `json:"bytes_scanned"`
	Missing      int64     `json:"missing,omitempty"`

	// What an incremental scan starts from (history entries only): each
	// ref's object under refKey (a ref's name may hold a value), HEAD, the
	// object count, and every object that matched, with its matches.
	Refs    map[string]string `json:"refs,omitempty"`
	Head    string            `json:"head,omitempty"`
	Objects int64             `json:"objects,omitempty"`
	Hits    []cachedHit       `json:"hits,omitempty"`
}

// cachedHit is an objectHit as stored: which labels matched where in the
// object, never what.
type cachedHit struct {
	ID      string  `json:"id"`
	Type    string  `json:"type"`
	Size    int64   `json:"size"`
	Matches []Match `json:"matches"`
}

func cachePath(cacheDir, kind, where, values string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + where + "\x00" + values))
	return filepath.Join(cacheDir, kind+"-"+hex.EncodeToString(sum[:12])+".json")
}

func readCache(path, state string) (cacheEntry, bool) {
	e, ok := loadCache(path)
	if !ok || e.State != state {
		return cacheEntry{}, false
	}
	return e, true
}

// loadCache reads the entry at path whatever state it was made in.
func loadCache(path string) (cacheEntry, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return cacheEntry{}, false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil {
		return cacheEntry{}, false
	}
	if e.Findings == nil {
		e.Findings = []Finding{}
	}
	return e, true
}

// writeCache stores e atomically, readable only by the user.
func writeCache(path string, e cacheEntry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the scan cache: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the scan cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the scan cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the scan cache: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// HistoryCached is ScanHistory for targets with a cache in cacheDir (""
// for DefaultCacheDir): when the repository's refs, HEAD and object counts
// and the set of values are what they were at the last scan, it returns
// that scan's result without reading any object. cached says which. When
// the history has only grown since (new commits, branches, tags, a fetch),
// it reads only the new objects (see scanIncremental).
func HistoryCached(ctx context.Context, dir string, targets []Target, cacheDir string, workers int) (res HistoryResult, cached bool, err error) {
	m := NewMatcher(targets)
	defer m.Close()
	return historyCached(ctx, dir, m, valuesDigest(targets), cacheDir, workers, nil)
}

func historyCached(ctx context.Context, dir string, m *Matcher, values, cacheDir string, workers int, prog *Progress) (HistoryResult, bool, error) {
	if cacheDir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return HistoryResult{}, false, err
		}
		cacheDir = d
	}
	rs, err := historyState(ctx, dir)
	if err != nil {
		return HistoryResult{}, false, err
	}
	path := cachePath(cacheDir, "history", rs.gitDir, values)
	prev, have := loadCache(path)
	if have && prev.State == rs.state {
		if prev.Findings == nil {
			prev.Findings = []Finding{}
		}
		return HistoryResult{Findings: prev.Findings, BlobsScanned: prev.BlobsScanned, BytesScanned: prev.BytesScanned, Missing: prev.Missing}, true, nil
	}
	if have {
		res, e, ok, err := scanIncremental(ctx, dir, m, values, prev, rs, prog)
		if err != nil {
			return res, false, err
		}
		if ok {
			// A failed cache write costs only speed next time.
			_ = writeCache(path, e)
			return res, false, nil
		}
	}
	res, hits, err := scanHistoryHits(ctx, dir, m, workers, prog)
	if err != nil {
		return res, false, err
	}
	_ = writeCache(path, historyEntry(rs, values, res, hits))
	return res, false, nil
}

// TrackedCached finds targets in the files git tracks under dir (as they are
// on disk now), for hygiene.files. The result is cached in cacheDir (""
// for DefaultCacheDir) under a digest of every tracked file's path, size,
// modification time and inode plus the values, so an unchanged tree costs
// one `git ls-files` and a stat per file. Outside a git work tree it
// returns ErrNotRepo.
func TrackedCached(ctx context.Context, dir string, targets []Target, cacheDir string) (findings []Finding, cached bool, err error) {
	if cacheDir == "" {
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return nil, false, err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false, err
	}
	out, err := git(ctx, abs, "ls-files", "-z")
	if err != nil {
		return nil, false, err
	}
	var paths []string
	h := sha256.New()
	for _, p := range strings.Split(string(out), "\x00") {
		if p == "" {
			continue
		}
		fi, err := os.Lstat(filepath.Join(abs, filepath.FromSlash(p)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		paths = append(paths, p)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\x00", p, fi.Size(), fi.ModTime().UnixNano(), inode(fi))
	}
	state := hex.EncodeToString(h.Sum(nil))
	values := valuesDigest(targets)
	path := cachePath(cacheDir, "tracked", abs, values)
	if e, ok := readCache(path, state); ok {
		return e.Findings, true, nil
	}
	m := NewMatcher(targets)
	defer m.Close()
	hits, err := scanPaths(ctx, abs, m, paths, 0)
	if err != nil {
		return nil, false, err
	}
	findings = []Finding{}
	for _, fh := range hits {
		shown, _ := m.RedactName(fh.path)
		for _, mt := range fh.matches {
			findings = append(findings, Finding{Profile: mt.Profile, Field: mt.Field, Encoding: mt.Encoding,
				Path: shown, Line: mt.Line, Source: SourceWorktree, GitStatus: StatusTracked})
		}
	}
	_ = writeCache(path, cacheEntry{State: state, Findings: findings})
	return findings, false, nil
}
