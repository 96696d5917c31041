package leaks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/keywarden/keywarden/internal/gitsafe"
)

// Reachability says how a history finding can still be reached.
const (
	ReachRef      = "ref"         // from a branch, tag, remote or the stash
	ReachReflog   = "reflog"      // only through a reflog entry (e.g. after a reset or rebase)
	ReachDangling = "unreachable" // in .git's objects but in no commit (e.g. staged, then dropped)
)

// introduction is where a blob first appeared at one path. age is the
// commit's position in `git log --topo-order` output: larger is older, and
// an ancestor is always older than its descendants (timestamps tie within
// a second and lie after a rebase; topology does not).
type introduction struct {
	commit string
	age    int64
}

// allHistory is the revision range of a whole-history scan: every ref and
// every reflog.
var allHistory = []string{"--all", "--reflog"}

// mapBlobs finds, for each blob or tree id in want, the commits that
// introduced it at each path, walking the commits revs name (allHistory, or
// a push's range) once (`git log --raw -t`, merges diffed against their
// first parent so stash entries count). It keeps the oldest commit per
// (object, path). A commit's root tree is at path "".
func mapBlobs(ctx context.Context, dir string, want map[string]bool, revs []string) (map[string]map[string]introduction, error) {
	out := map[string]map[string]introduction{}
	if len(want) == 0 {
		return out, nil
	}
	args := slices.Concat([]string{"log"}, revs, []string{"--raw", "--no-abbrev", "--root",
		"--diff-merges=first-parent", "--no-renames", "--topo-order", "-t", "--format=%x01%H %T", "--"})
	cmd := gitsafe.Command(ctx, dir, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git log: %w", err)
	}
	record := func(id, path, commit string, age int64) {
		byPath := out[id]
		if byPath == nil {
			byPath = map[string]introduction{}
			out[id] = byPath
		}
		if have, ok := byPath[path]; !ok || age > have.age {
			byPath[path] = introduction{commit, age}
		}
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var commit string
	var age int64
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if line[0] == 1 {
			var root string
			commit, root, _ = strings.Cut(string(line[1:]), " ")
			age++
			if want[root] {
				record(root, "", commit, age)
			}
			continue
		}
		// :100644 100644 <old> <new> M\tpath
		if line[0] != ':' {
			continue
		}
		tab := bytes.IndexByte(line, '\t')
		if tab < 0 {
			continue
		}
		f := strings.Fields(string(line[:tab]))
		if len(f) < 5 || !want[f[3]] {
			continue
		}
		record(f[3], unquotePath(string(line[tab+1:])), commit, age)
	}
	if err := sc.Err(); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("reading git log: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "does not have any commits") || strings.Contains(msg, "bad default revision") {
			return out, nil
		}
		return nil, fmt.Errorf("git log in %s: %w: %s", dir, err, msg)
	}
	return out, nil
}

// unquotePath undoes git's C-style quoting of unusual path names.
func unquotePath(p string) string {
	if len(p) >= 2 && p[0] == '"' {
		if u, err := strconv.Unquote(p); err == nil {
			return u
		}
	}
	return p
}

// headTree maps each path in HEAD to its blob id (empty for an unborn HEAD).
func headTree(ctx context.Context, dir string) (map[string]string, error) {
	out, err := git(ctx, dir, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
	if err != nil {
		if _, e := git(ctx, dir, "rev-parse", "--verify", "-q", "HEAD"); e != nil {
			return map[string]string{}, nil // no commits yet
		}
		return nil, err
	}
	tree := map[string]string{}
	for _, rec := range bytes.Split(out, []byte{0}) {
		// <mode> SP <type> SP <object> TAB <file>
		tab := bytes.IndexByte(rec, '\t')
		if tab < 0 {
			continue
		}
		f := strings.Fields(string(rec[:tab]))
		if len(f) == 3 {
			tree[string(rec[tab+1:])] = f[2]
		}
	}
	return tree, nil
}

// maxRefs bounds the ref names kept per finding (a commit may be in every tag).
const maxRefs = 20

// refsContaining returns the refs that contain commit, sorted, at most maxRefs.
func refsContaining(ctx context.Context, dir, commit string) ([]string, error) {
	out, err := git(ctx, dir, "for-each-ref", "--contains", commit, "--format=%(refname:short)")
	if err != nil {
		return nil, err
	}
	refs := strings.Fields(string(out))
	sort.Strings(refs)
	if len(refs) > maxRefs {
		refs = refs[:maxRefs]
	}
	return refs, nil
}

// reachableCommits returns the commits reachable from any ref (branches,
// tags, remotes, the stash); commits only in a reflog are not among them.
func reachableCommits(ctx context.Context, dir string) (map[string]bool, error) {
	set := map[string]bool{}
	out, err := git(ctx, dir, "rev-list", "--all")
	if err != nil {
		if _, e := git(ctx, dir, "rev-parse", "--verify", "-q", "HEAD"); e != nil {
			return set, nil // no commits yet
		}
		return nil, err
	}
	for _, c := range strings.Fields(string(out)) {
		set[c] = true
	}
	return set, nil
}
