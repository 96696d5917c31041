package leaks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/internal/gitsafe"
)

// maxMovedRefs bounds the per-ref checks of one incremental scan; past it
// the findings are mapped again instead.
const maxMovedRefs = 16

// readObjectsHook, when set (by tests), sees every list of objects a
// history scan is about to read.
var readObjectsHook func([]object)

// refKey names a ref in the cache by a digest salted with the values'
// digest: a ref's name may hold a value, and the cache must not.
func refKey(values, name string) string {
	sum := sha256.Sum256([]byte(values + "\x00" + name))
	return hex.EncodeToString(sum[:12])
}

// historyEntry is the cache entry for a scan of the history in state rs.
func historyEntry(rs refState, values string, res HistoryResult, hits []objectHit) cacheEntry {
	e := cacheEntry{State: rs.state, Findings: res.Findings, BlobsScanned: res.BlobsScanned,
		BytesScanned: res.BytesScanned, Missing: res.Missing,
		Refs: map[string]string{}, Head: rs.head, Objects: rs.objects, Hits: []cachedHit{}}
	if e.Findings == nil {
		e.Findings = []Finding{}
	}
	for name, id := range rs.refs {
		e.Refs[refKey(values, name)] = id
	}
	for _, h := range hits {
		e.Hits = append(e.Hits, cachedHit{h.id, h.typ, h.size, h.matches})
	}
	return e
}

// gitIn is git with input on its stdin.
func gitIn(ctx context.Context, dir string, in io.Reader, args ...string) ([]byte, error) {
	return gitsafe.Output(ctx, dir, in, nil, args...)
}

// tips lists the distinct objects the refs and HEAD name.
func tips(refs map[string]string, head string) []string {
	var ts []string
	for _, id := range refs {
		ts = append(ts, id)
	}
	if head != "" {
		ts = append(ts, head)
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}

// revInput is `git rev-list --stdin` input: include, then ^exclude.
func revInput(include, exclude []string) *bytes.Buffer {
	var b bytes.Buffer
	for _, t := range include {
		b.WriteString(t + "\n")
	}
	for _, t := range exclude {
		b.WriteString("^" + t + "\n")
	}
	return &b
}

// scanIncremental brings prev, the entry of an earlier scan, up to the
// history's state rs by reading only the objects reachable from the new
// tips and not from the old (`git rev-list --objects NEW --not OLD`). It
// applies only when the object database holds exactly prev's objects plus
// those (the object count says so); otherwise (gc, a prune, a staged or
// otherwise dangling object, an entry from an older version) ok is false
// and the caller reads everything.
//
// The findings are mapped to commits again, from all hits old and new,
// whenever they could have changed: a new object matched; an old tip is no
// longer reachable (a rewrite or a deleted ref: the stale commits become
// reflog-only or unreachable); a ref appeared, went or took in commits
// that existed before (a merge, a new branch); or a new commit or the move
// of HEAD adds or removes a matched object at some path.
func scanIncremental(ctx context.Context, dir string, m *Matcher, values string, prev cacheEntry, rs refState, prog *Progress) (res HistoryResult, e cacheEntry, ok bool, err error) {
	if prev.Refs == nil {
		return res, e, false, nil
	}
	oldRefs := map[string]string{}
	for name := range rs.refs {
		oldRefs[name] = prev.Refs[refKey(values, name)]
	}
	oldTips := tips(prev.Refs, prev.Head)
	newTips := tips(rs.refs, rs.head)

	out, err := gitIn(ctx, dir, revInput(newTips, oldTips), "rev-list", "--objects", "--no-object-names", "--missing=print", "--stdin")
	if err != nil {
		if ctx.Err() != nil {
			return res, e, false, ctx.Err()
		}
		return res, e, false, nil // an old tip is gone (pruned): read everything
	}
	var objs []object
	var missing int64
	for _, id := range strings.Fields(string(out)) {
		if id[0] == '?' {
			missing++
			continue
		}
		objs = append(objs, object{id: id})
	}
	if rs.objects-prev.Objects != int64(len(objs)) {
		return res, e, false, nil
	}
	sc, err := scanObjects(ctx, dir, m, objs, 0, 1, prog)
	if err != nil {
		return res, e, false, err
	}

	hits := make([]objectHit, 0, len(prev.Hits)+len(sc.hits))
	for _, h := range prev.Hits {
		hits = append(hits, objectHit{object{h.ID, h.Type, h.Size}, h.Matches})
	}
	hits = append(hits, sc.hits...)
	var findings []Finding
	if len(hits) > 0 {
		remap := len(sc.hits) > 0
		if !remap {
			remap, err = findingsMayChange(ctx, dir, prev, rs, hits, oldRefs, oldTips, newTips)
			if err != nil {
				return res, e, false, err
			}
		}
		if remap {
			if findings, err = historyFindings(ctx, dir, m, hits); err != nil {
				return res, e, false, err
			}
		} else {
			for _, f := range prev.Findings {
				if !f.InRef {
					findings = append(findings, f)
				}
			}
		}
	}
	names := make([]string, 0, len(rs.refs))
	for name := range rs.refs {
		names = append(names, name)
	}
	slices.Sort(names)
	refs := namedRefFindings(names, m)
	res = HistoryResult{Findings: append(findings, refs...), BlobsScanned: prev.BlobsScanned + sc.objects,
		BytesScanned: prev.BytesScanned + sc.bytes, Missing: prev.Missing + missing}
	return res, historyEntry(rs, values, res, hits), true, nil
}

// findingsMayChange reports whether the findings of hits (none of them
// new) could differ from prev's now that the history is in state rs: see
// scanIncremental. It errs on the side of yes, and a git command that
// fails here (a tag naming a blob, say) is a yes too: mapping again will
// say what is wrong, if anything.
func findingsMayChange(ctx context.Context, dir string, prev cacheEntry, rs refState, hits []objectHit, oldRefs map[string]string, oldTips, newTips []string) (bool, error) {
	if len(rs.refs) != len(prev.Refs) {
		return true, nil // a ref appeared or went
	}
	// Every commit reachable before still is (nothing became reflog-only).
	out, err := gitIn(ctx, dir, revInput(oldTips, newTips), "rev-list", "--count", "--stdin")
	if err != nil || string(trimNL(out)) != "0" {
		return true, ctx.Err()
	}
	matched := map[string]bool{}
	for _, h := range hits {
		matched[h.id] = true
	}
	// The new commits' changes, as mapBlobs reads them, and their root
	// trees: does any add or remove a matched object?
	out, err = gitIn(ctx, dir, revInput(newTips, oldTips), "log", "--stdin", "--raw", "--no-abbrev", "--root",
		"--diff-merges=first-parent", "--no-renames", "-t", "--format=%x01%H %T", "--")
	if err != nil {
		return true, ctx.Err()
	}
	newCommits := map[string]bool{}
	if touchesMatched(out, matched, newCommits) {
		return true, nil
	}
	if rs.head != prev.Head {
		moved, err := headGrew(ctx, dir, prev.Head, rs.head, newCommits)
		if err != nil || !moved {
			return true, ctx.Err()
		}
	}
	// A ref that moved took in only new commits, so no old commit is in a
	// ref it was not in before.
	moved := 0
	for name, id := range rs.refs {
		old := oldRefs[name]
		if old == "" {
			return true, nil // renamed: same count, other names
		}
		if old == id || (old == prev.Head && id == rs.head) { // HEAD's branch: checked above
			continue
		}
		if moved++; moved > maxMovedRefs {
			return true, nil
		}
		out, err := git(ctx, dir, "rev-list", id, "^"+old, "--")
		if err != nil {
			return true, ctx.Err()
		}
		for _, c := range strings.Fields(string(out)) {
			if !newCommits[c] {
				return true, nil
			}
		}
	}
	return false, nil
}

// headGrew reports whether HEAD went from old to cur only by commits in
// newCommits, one after the other with no merge: then what HEAD's tree
// gained and lost is in those commits' changes.
func headGrew(ctx context.Context, dir, old, cur string, newCommits map[string]bool) (bool, error) {
	if old == "" || cur == "" {
		return false, nil
	}
	out, err := git(ctx, dir, "rev-list", "--parents", cur, "^"+old, "--")
	if err != nil {
		return false, err
	}
	chain := map[string][]string{}
	for _, line := range strings.Split(string(trimNL(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !newCommits[f[0]] {
			return false, nil // a merge, or a commit that is not new
		}
		chain[f[0]] = f[1:]
	}
	// Each parent is in the chain or is old itself, so the chain is cur's
	// ancestry back to old, not to some other old commit.
	for _, parents := range chain {
		if _, in := chain[parents[0]]; !in && parents[0] != old {
			return false, nil
		}
	}
	return true, nil
}

// touchesMatched reads `git log --raw --format=%x01%H %T` output and reports whether a root tree or a change's old
// or new object is in matched. The commits it passes go into commits when
// that is not nil.
func touchesMatched(out []byte, matched, commits map[string]bool) bool {
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" {
			continue
		}
		if line[0] == 1 {
			c, root, _ := strings.Cut(line[1:], " ")
			if commits != nil {
				commits[c] = true
			}
			if matched[root] {
				return true
			}
			continue
		}
		// :100644 100644 <old> <new> M\tpath
		if line[0] != ':' {
			continue
		}
		head, _, _ := strings.Cut(line, "\t")
		if f := strings.Fields(head); len(f) >= 4 && (matched[f[2]] || matched[f[3]]) {
			return true
		}
	}
	return false
}
