package leaks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/keywarden/keywarden/internal/gitsafe"
)

// Sources of a hook's findings.
const (
	SourceStaged = "staged" // the index, about to be committed
	SourcePush   = "push"   // a commit about to be pushed
)

// emptyTree is git's empty tree: what a first commit is compared with.
const emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// zeroID is the object id the pre-push protocol gives for "no such ref".
var zeroID = regexp.MustCompile(`^0+$`)

// HookReport is what a pre-commit or pre-push check found.
type HookReport struct {
	Findings []Finding
	Objects  int64 // blobs (and, for a push, commits and tags) read
	Bytes    int64
	// Missing counts objects the check had to read but the repository
	// lacks (a partial or damaged clone): the result is not a clean bill.
	Missing int64
	Skipped []Label // values too short to search for
}

// ScanStaged checks what `git commit` would record in dir's repository:
// every added, copied, modified, renamed or retyped file in the index (its
// staged blob, not the working-tree copy) and the staged paths themselves.
// Submodules are skipped: their content is another repository's.
func ScanStaged(ctx context.Context, dir string, m *Matcher) (*HookReport, error) {
	base := "HEAD"
	if _, err := git(ctx, dir, "rev-parse", "-q", "--verify", "HEAD^{commit}"); err != nil {
		if errors.Is(err, ErrNotRepo) || errors.Is(err, ErrNoGit) {
			return nil, err
		}
		base = emptyTree // no commit yet
	}
	out, err := stagedDiff(ctx, dir, base)
	if err != nil {
		return nil, err
	}
	rep := &HookReport{Skipped: m.Skipped, Findings: []Finding{}}
	paths := map[string][]string{} // blob id -> staged paths
	var objs []object
	// Records are ":<old mode> <new mode> <old id> <new id> <status>" NUL
	// "<path>" NUL.
	recs := bytes.Split(out, []byte{0})
	for i := 0; i+1 < len(recs); i += 2 {
		f := strings.Fields(strings.TrimPrefix(string(recs[i]), ":"))
		if len(f) != 5 {
			return nil, fmt.Errorf("git diff-index: unexpected record %q", recs[i])
		}
		path := string(recs[i+1])
		rep.Findings = append(rep.Findings, nameFindings(m, path, SourceStaged, nil)...)
		if f[1] == "160000" { // a submodule's commit
			continue
		}
		id := f[3]
		if paths[id] == nil {
			objs = append(objs, object{id: id, typ: "blob"})
		}
		paths[id] = append(paths[id], path)
	}
	rep.Findings = dedupeNames(rep.Findings)
	if len(objs) == 0 {
		return rep, nil
	}
	sc, err := catFile(ctx, dir, m, objs, nil)
	if err != nil {
		return nil, err
	}
	rep.Objects, rep.Bytes, rep.Missing = sc.objects, sc.bytes, sc.missing
	for _, h := range sc.hits {
		for _, p := range paths[h.id] {
			shown, _ := m.RedactName(p) // a leaky file named after a key
			for _, mt := range h.matches {
				rep.Findings = append(rep.Findings, Finding{Profile: mt.Profile, Field: mt.Field,
					Encoding: mt.Encoding, Path: shown, Line: mt.Line, Source: SourceStaged, Object: h.id})
			}
		}
	}
	return rep, nil
}

// stagedDiff lists what differs between base and the index. During `git
// commit -a` or `git commit FILE` git hands its hooks a temporary index in
// GIT_INDEX_FILE: that one holds what the commit records, so it is passed
// on (gitsafe drops GIT_* variables); git only reads it.
func stagedDiff(ctx context.Context, dir, base string) ([]byte, error) {
	cmd := gitsafe.Command(ctx, dir, "diff-index", "--cached", "-z", "--no-renames", "--diff-filter=ACMRT", base)
	if idx := os.Getenv("GIT_INDEX_FILE"); idx != "" {
		if abs, err := filepath.Abs(idx); err == nil {
			idx = abs
		}
		cmd.Env = append(cmd.Env, "GIT_INDEX_FILE="+idx)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "not a git repository") {
			return nil, fmt.Errorf("%s: %w", dir, ErrNotRepo)
		}
		return nil, fmt.Errorf("git diff-index in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// ResolveCommit returns the commit id rev names in dir's repository.
func ResolveCommit(ctx context.Context, dir, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("%q is not a revision", rev)
	}
	out, err := git(ctx, dir, "rev-parse", "-q", "--verify", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("%q names no commit here: %w", rev, err)
	}
	return string(trimNL(out)), nil
}

// nameFindings matches one path (a file or directory name) against m. A
// value found there is reported without the path: printing it would print
// the value.
func nameFindings(m *Matcher, path, source string, commit *string) []Finding {
	var out []Finding
	for _, mt := range m.Find([]byte(path)) {
		out = append(out, Finding{Profile: mt.Profile, Field: mt.Field, Encoding: mt.Encoding,
			InName: true, Source: source, Commit: commit})
	}
	return out
}

// dedupeNames keeps one name finding per value and encoding: a key used
// as a directory name is in the name of every file below it.
func dedupeNames(fs []Finding) []Finding {
	seen := map[Label]bool{}
	out := fs[:0]
	for _, f := range fs {
		l := Label{f.Profile, f.Field, f.Encoding}
		if f.InName && seen[l] {
			continue
		}
		seen[l] = f.InName || seen[l]
		out = append(out, f)
	}
	return out
}

// PushUpdate is one line git gives a pre-push hook on stdin: a ref it is
// about to update on the remote.
type PushUpdate struct {
	LocalRef, LocalID, RemoteRef, RemoteID string
}

// Deletes reports whether the update deletes the remote ref (nothing is sent).
func (u PushUpdate) Deletes() bool { return zeroID.MatchString(u.LocalID) }

var objectID = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// ParsePushUpdates reads the pre-push protocol: one
// "<local ref> SP <local id> SP <remote ref> SP <remote id>" line per ref.
func ParsePushUpdates(r io.Reader) ([]PushUpdate, error) {
	var ups []PushUpdate
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || !objectID.MatchString(f[1]) || !objectID.MatchString(f[3]) {
			return nil, fmt.Errorf("pre-push input line %d is not \"<local ref> <local id> <remote ref> <remote id>\"", n)
		}
		ups = append(ups, PushUpdate{f[0], f[1], f[2], f[3]})
	}
	return ups, sc.Err()
}

// ScanPush checks every object a push of updates to remote would send:
// the commits reachable from each new local id that neither the remote's
// old id nor any ref the repository has for that remote already contains
// (`git rev-list --objects`), their blobs, messages and path names.
// Deletions send nothing and are skipped. remote is the remote's name as
// git gives it to the hook (a URL when the push named one).
func ScanPush(ctx context.Context, dir string, m *Matcher, remote string, updates []PushUpdate) (*HookReport, error) {
	rep := &HookReport{Skipped: m.Skipped, Findings: []Finding{}}
	var include, exclude []string
	for _, u := range updates {
		if u.Deletes() {
			continue
		}
		if !objectID.MatchString(u.LocalID) {
			return nil, fmt.Errorf("pre-push: bad object id for %s", u.LocalRef)
		}
		include = append(include, u.LocalID)
		// The remote's old commit bounds the range only when it is here:
		// after someone else's push it may not be.
		if objectID.MatchString(u.RemoteID) && !zeroID.MatchString(u.RemoteID) {
			if _, err := git(ctx, dir, "cat-file", "-e", u.RemoteID+"^{commit}"); err == nil {
				exclude = append(exclude, u.RemoteID)
			}
		}
	}
	if len(include) == 0 {
		return rep, nil
	}
	revs := append(include, "--not")
	revs = append(revs, exclude...)
	if remote != "" && !strings.HasPrefix(remote, "-") && !strings.ContainsAny(remote, "*?[") {
		revs = append(revs, "--remotes="+remote)
	}
	list, err := git(ctx, dir, append([]string{"rev-list", "--objects", "--missing=print"}, revs...)...)
	if err != nil {
		return nil, err
	}
	// cat-file --batch-check echoes what follows the id on each line (the
	// path rev-list gave a tree or blob) as %(rest).
	var ids bytes.Buffer
	for _, line := range strings.Split(string(list), "\n") {
		if line == "" {
			continue
		}
		if line[0] == '?' {
			rep.Missing++
			continue
		}
		ids.WriteString(line + "\n")
	}
	checked, err := gitsafe.Output(ctx, dir, &ids, nil, "cat-file",
		"--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)")
	if err != nil {
		return nil, err
	}
	var objs []object
	names := map[string]bool{}
	for _, line := range strings.Split(string(checked), "\n") {
		id, rest, _ := strings.Cut(line, " ")
		if id == "" {
			continue
		}
		if rest == "missing" {
			rep.Missing++
			continue
		}
		f := strings.SplitN(rest, " ", 3)
		if len(f) < 2 {
			return nil, fmt.Errorf("git cat-file: unexpected line %q", line)
		}
		if len(f) == 3 && f[2] != "" {
			names[f[2]] = true
		}
		if f[0] == "tree" {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git cat-file: bad size in %q: %w", line, err)
		}
		objs = append(objs, object{id, f[0], size})
	}
	for name := range names {
		// Each prefix directory is listed by rev-list on its own line.
		rep.Findings = append(rep.Findings, nameFindings(m, filepath.Base(name), SourcePush, nil)...)
	}
	rep.Findings = dedupeNames(rep.Findings)
	sc, err := scanObjects(ctx, dir, m, objs, sumSizes(objs), 0, nil)
	if err != nil {
		return nil, err
	}
	rep.Objects, rep.Bytes, rep.Missing = sc.objects, sc.bytes, rep.Missing+sc.missing
	if len(sc.hits) == 0 {
		return rep, nil
	}
	want := map[string]bool{}
	for _, h := range sc.hits {
		if h.typ == "blob" {
			want[h.id] = true
		}
	}
	intro, err := mapBlobs(ctx, dir, want, revs)
	if err != nil {
		return nil, err
	}
	for _, h := range sc.hits {
		for _, mt := range h.matches {
			f := Finding{Profile: mt.Profile, Field: mt.Field, Encoding: mt.Encoding, Line: mt.Line,
				Source: SourcePush, Object: h.id}
			switch h.typ {
			case "blob":
				for p, in := range intro[h.id] {
					g, c := f, in.commit
					g.Commit = &c
					g.Path, _ = m.RedactName(p)
					rep.Findings = append(rep.Findings, g)
				}
				if len(intro[h.id]) == 0 {
					rep.Findings = append(rep.Findings, f)
				}
			case "commit":
				c := h.id
				f.Commit = &c
				rep.Findings = append(rep.Findings, f)
			default:
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	return rep, nil
}

func sumSizes(objs []object) int64 {
	var n int64
	for _, o := range objs {
		n += o.size
	}
	return n
}

// HooksDir returns the directory git runs dir's hooks from: core.hooksPath
// when the repository or the user set it (relative to the work tree's top,
// as git reads it), else the hooks folder of the common git directory
// (shared by every worktree).
func HooksDir(ctx context.Context, dir string) (string, error) {
	// gitsafe sets core.hooksPath itself on the command line ("command"
	// scope); that one is not the repository's.
	out, err := gitsafe.Output(ctx, dir, nil, []int{1}, "config", "--get-all", "--show-scope", "core.hooksPath")
	if err != nil {
		return "", err
	}
	hooksPath := ""
	for _, line := range strings.Split(string(out), "\n") {
		scope, value, ok := strings.Cut(line, "\t")
		if ok && scope != "command" {
			hooksPath = value
		}
	}
	if hooksPath != "" {
		if rest, ok := strings.CutPrefix(hooksPath, "~/"); ok {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("core.hooksPath %s: %w", hooksPath, err)
			}
			return filepath.Join(home, rest), nil
		}
		if filepath.IsAbs(hooksPath) {
			return filepath.Clean(hooksPath), nil
		}
		top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
		if err != nil {
			return "", err
		}
		return filepath.Join(string(trimNL(top)), hooksPath), nil
	}
	common, err := git(ctx, dir, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return "", err
	}
	return filepath.Join(string(trimNL(common)), "hooks"), nil
}
