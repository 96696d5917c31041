package leaks

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Options say what Scan reads.
type Options struct {
	Dir         string // directory to scan; its git repository (if any) for history
	History     bool   // also read every object in the git history
	MaxFileSize int64  // working-tree files above this are skipped (0: DefaultMaxFileSize)
	Workers     int    // parallel readers (0: GOMAXPROCS)
	// CacheDir, when set, caches the history result there keyed by the
	// repository's ref state and the values (see HistoryCached); "" reads
	// the whole history every time.
	CacheDir string
	// Progress, when set, counts the history bytes read as the scan goes.
	Progress *Progress
}

// Progress counts a running history scan's work; another goroutine may
// read it at any time.
type Progress struct {
	Done  atomic.Int64 // bytes of objects read so far
	Total atomic.Int64 // bytes to read (0 until the objects are listed)
}

// Finding is one stored value found in one place. It never holds the value.
type Finding struct {
	Profile  string   `json:"profile"`
	Field    Field    `json:"field"`
	Encoding Encoding `json:"encoding"`
	// Path is relative to the scanned directory (working tree) or to the
	// repository root (history); "" for a commit message or a dangling blob.
	Path string `json:"path"`
	Line int    `json:"line"`
	// InName: the value is in a file or directory name (or, with InRef, a
	// ref name), and Path is left empty because printing the name would
	// print the value. A value in a name found beside other content has
	// that part of Path replaced by RedactedName instead.
	InName bool `json:"in_name,omitempty"`
	InRef  bool `json:"in_ref,omitempty"`
	// Commit is the first commit that added the value at Path; nil for
	// working-tree findings and for objects no commit refers to.
	Commit *string `json:"commit"`
	// InHead: for history, HEAD still has this content at Path; for the
	// working tree, HEAD's committed copy of Path holds the same leak.
	InHead bool `json:"in_head"`

	Source    string   `json:"source"`               // "worktree" or "history"
	GitStatus string   `json:"git_status,omitempty"` // worktree: tracked, untracked, ignored, not-in-git
	Object    string   `json:"object,omitempty"`     // history: the blob (or commit/tag) id
	Reach     string   `json:"reachable,omitempty"`  // history: ref, reflog or unreachable
	Refs      []string `json:"refs,omitempty"`       // history: refs containing Commit
	// Versions counts the history objects (file versions) grouped into this
	// finding; Commit, Object and Line are those of the first one.
	Versions int `json:"versions,omitempty"`
}

// Sources of a finding.
const (
	SourceWorktree = "worktree"
	SourceHistory  = "history"
)

// Report is a scan's outcome.
type Report struct {
	Dir          string    `json:"dir"`
	Findings     []Finding `json:"findings"`
	FilesScanned int64     `json:"files_scanned"`
	FilesSkipped int64     `json:"files_skipped"` // larger than the size limit
	BlobsScanned int64     `json:"blobs_scanned"` // blobs, commits and tags read from git
	BytesScanned int64     `json:"bytes_scanned"`
	History      string    `json:"history"` // scanned, cached, off, or why it was not
	// MissingObjects counts objects history refers to that the repository
	// lacks: they were not searched (see HistoryResult.Missing).
	MissingObjects int64         `json:"-"`
	Skipped        []Label       `json:"-"` // values too short to search for
	Duration       time.Duration `json:"-"`
}

// Scan searches opts.Dir, and with opts.History its whole git object
// database, for every target in every encoding. The targets' values live
// only in the matcher, which is wiped before Scan returns.
func Scan(ctx context.Context, targets []Target, opts Options) (*Report, error) {
	t0 := time.Now()
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", opts.Dir, err)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	m := NewMatcher(targets)
	defer m.Close()
	rep := &Report{Dir: dir, Skipped: m.Skipped, Findings: []Finding{}, History: "off"}

	tree, err := scanTree(ctx, dir, m, opts.MaxFileSize, opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", dir, err)
	}
	rep.FilesScanned, rep.FilesSkipped, rep.BytesScanned = tree.files, tree.skipped, tree.bytes
	if opts.History {
		var hist HistoryResult
		cached := false
		if opts.CacheDir != "" {
			hist, cached, err = historyCached(ctx, dir, m, valuesDigest(targets), opts.CacheDir, opts.Workers, opts.Progress)
		} else {
			hist, err = scanHistory(ctx, dir, m, opts.Workers, opts.Progress)
		}
		switch {
		case errors.Is(err, ErrNotRepo):
			rep.History = "not a git repository"
		case errors.Is(err, ErrNoGit):
			rep.History = "git not installed"
		case err != nil:
			return nil, err
		default:
			rep.History = "scanned"
			if cached {
				rep.History = "cached"
			}
			rep.BlobsScanned, rep.BytesScanned = hist.BlobsScanned, rep.BytesScanned+hist.BytesScanned
			rep.MissingObjects = hist.Missing
			rep.Findings = append(rep.Findings, hist.Findings...)
		}
	}
	wt, err := treeFindings(ctx, dir, m, tree.hits, rep.Findings)
	if err != nil {
		return nil, err
	}
	rep.Findings = slices.Concat(wt, tree.names, rep.Findings)
	rep.Duration = time.Since(t0)
	return rep, nil
}

// treeFindings turns file hits into findings with their git status.
func treeFindings(ctx context.Context, dir string, m *Matcher, hits []fileHit, history []Finding) ([]Finding, error) {
	paths := make([]string, len(hits))
	for i, h := range hits {
		paths[i] = h.path
	}
	st, err := gitStatuses(ctx, dir, paths)
	if err != nil {
		return nil, err
	}
	// History paths are relative to the repository root; the scanned
	// directory may be below it.
	prefix := ""
	if len(history) > 0 {
		if out, err := git(ctx, dir, "rev-parse", "--show-prefix"); err == nil {
			prefix = string(trimNL(out))
		}
	}
	inHead := map[[3]string]bool{}
	for _, f := range history {
		if f.InHead {
			inHead[[3]string{f.Profile, string(f.Field), f.Path}] = true
		}
	}
	var out []Finding
	for _, h := range hits {
		shown, _ := m.RedactName(h.path)
		for _, mt := range h.matches {
			out = append(out, Finding{Profile: mt.Profile, Field: mt.Field, Encoding: mt.Encoding,
				Path: shown, Line: mt.Line, Source: SourceWorktree, GitStatus: st[h.path],
				InHead: inHead[[3]string{mt.Profile, string(mt.Field), prefix + shown}]})
		}
	}
	return out, nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// HistoryResult is what ScanHistory found.
type HistoryResult struct {
	Findings     []Finding
	BlobsScanned int64
	BytesScanned int64
	// Missing counts objects history refers to that the repository lacks
	// (a partial or damaged clone; at least this many: below a missing
	// tree nothing is known). They were not searched, so a result without
	// findings is not clean.
	Missing int64
}

// ScanHistory reads every blob, tree, commit and tag in the object database
// of dir's repository once, in parallel, and maps each hit back to the
// first commit and path that introduced it, whether HEAD still has it, and
// which refs contain it. A hit in a tree is a value used as a file or
// directory name; ref names are searched too. No name holding a value is
// reported (or cached) as it is.
//
// Objects reachable only from a reflog (an "orphaned" commit after a reset
// or rebase) and dangling objects not yet pruned by gc count: they are on
// disk in .git, are copied by backups and tarballs of the project, and the
// value they hold must be revoked all the same. Their Reach says so.
func ScanHistory(ctx context.Context, dir string, m *Matcher, workers int) (HistoryResult, error) {
	return scanHistory(ctx, dir, m, workers, nil)
}

func scanHistory(ctx context.Context, dir string, m *Matcher, workers int, prog *Progress) (HistoryResult, error) {
	res, _, err := scanHistoryHits(ctx, dir, m, workers, prog)
	return res, err
}

// scanHistoryHits is scanHistory that also returns the raw hits, which the
// cache keeps for incremental scans.
func scanHistoryHits(ctx context.Context, dir string, m *Matcher, workers int, prog *Progress) (HistoryResult, []objectHit, error) {
	var res HistoryResult
	objs, total, err := listObjects(ctx, dir)
	if err != nil {
		return res, nil, err
	}
	if prog != nil {
		prog.Total.Store(total)
	}
	// What the object database lacks is found by walking history, which
	// runs beside the reading.
	walkCtx, cancelWalk := context.WithCancel(ctx)
	defer cancelWalk()
	missing := make(chan error, 1)
	go func() {
		var err error
		res.Missing, err = countMissing(walkCtx, dir)
		missing <- err
	}()
	sc, err := scanObjects(ctx, dir, m, objs, total, workers, prog)
	if err != nil {
		cancelWalk()
	}
	if mErr := <-missing; err == nil && mErr != nil {
		err = mErr
	}
	if err != nil {
		return res, nil, err
	}
	res.BlobsScanned, res.BytesScanned = sc.objects, sc.bytes
	refs, err := refNameFindings(ctx, dir, m)
	if err != nil {
		return res, nil, err
	}
	if len(sc.hits) > 0 {
		if res.Findings, err = historyFindings(ctx, dir, m, sc.hits); err != nil {
			return res, nil, err
		}
	}
	res.Findings = append(res.Findings, refs...)
	return res, sc.hits, nil
}

// refNameFindings searches every ref's name (branches, tags, remotes,
// notes, the stash): one finding per value found, the ref withheld.
func refNameFindings(ctx context.Context, dir string, m *Matcher) ([]Finding, error) {
	out, err := git(ctx, dir, "for-each-ref", "--format=%(refname)")
	if err != nil {
		return nil, err
	}
	return namedRefFindings(strings.Split(string(out), "\n"), m), nil
}

// namedRefFindings is refNameFindings for refs already listed.
func namedRefFindings(refs []string, m *Matcher) []Finding {
	var fs []Finding
	for _, ref := range refs {
		for _, mt := range m.Find([]byte(ref)) {
			fs = append(fs, Finding{Profile: mt.Profile, Field: mt.Field, Encoding: mt.Encoding,
				InName: true, InRef: true, Source: SourceHistory, Reach: ReachRef})
		}
	}
	return dedupeNames(fs)
}

// historyFindings maps object hits to commits and paths. Every version of
// a file that held the value is one hit; they are grouped per (value,
// encoding, path) into one finding that names the first commit from which
// the value is still reachable, with Versions counting the blobs.
func historyFindings(ctx context.Context, dir string, m *Matcher, hits []objectHit) ([]Finding, error) {
	want := map[string]bool{}
	for _, h := range hits {
		if h.typ == "blob" || h.typ == "tree" {
			want[h.id] = true
		}
	}
	intro, err := mapBlobs(ctx, dir, want, allHistory)
	if err != nil {
		return nil, err
	}
	head, err := headTree(ctx, dir)
	if err != nil {
		return nil, err
	}
	reachable, err := reachableCommits(ctx, dir)
	if err != nil {
		return nil, err
	}
	type groupKey struct{ profile, field, enc, path, object string }
	type group struct {
		f   Finding
		age int64
	}
	groups := map[groupKey]*group{}
	var order []groupKey
	for _, h := range hits {
		type place struct {
			path string
			in   introduction
		}
		var places []place
		switch h.typ {
		case "blob", "tree":
			for p, in := range intro[h.id] {
				places = append(places, place{p, in})
			}
			if len(places) == 0 {
				places = []place{{}} // dangling: staged once, or a dropped stash
			}
		case "commit":
			places = []place{{"", introduction{commit: h.id}}} // the commit message
		default:
			places = []place{{}} // a tag message
		}
		for _, pl := range places {
			if h.typ == "tree" {
				pl.path = "" // the names in it are the leak: withheld
			}
			pl.path, _ = m.RedactName(pl.path) // keys/<key>.json holding a secret
			f := Finding{Path: pl.path, Source: SourceHistory, Object: h.id, Reach: ReachDangling, Versions: 1, InName: h.typ == "tree"}
			if pl.in.commit != "" {
				c := pl.in.commit
				f.Commit = &c
				f.Reach = ReachReflog
				if reachable[c] {
					f.Reach = ReachRef
				}
			}
			if h.typ == "tag" {
				f.Reach = ReachRef
			}
			f.InHead = pl.path != "" && head[pl.path] == h.id
			for _, mt := range h.matches {
				k := groupKey{mt.Profile, string(mt.Field), string(mt.Encoding), pl.path, ""}
				switch {
				case f.InName:
					k.object = "names" // one finding per value used as a name
					mt.Line = 0
				case pl.path == "":
					k.object = h.id
				}
				g := f
				g.Profile, g.Field, g.Encoding, g.Line = mt.Profile, mt.Field, mt.Encoding, mt.Line
				have, ok := groups[k]
				if !ok {
					groups[k] = &group{g, pl.in.age}
					order = append(order, k)
					continue
				}
				versions, inHead := have.f.Versions+1, have.f.InHead || g.InHead
				if better(g, pl.in.age, have.f, have.age) {
					have.f, have.age = g, pl.in.age
				}
				have.f.Versions, have.f.InHead = versions, inHead
			}
		}
	}
	out := make([]Finding, 0, len(order))
	refCache := map[string][]string{}
	for _, k := range order {
		f := groups[k].f
		if f.Commit != nil && f.Reach == ReachRef {
			r, ok := refCache[*f.Commit]
			if !ok && len(refCache) < maxRefLookups {
				if r, err = refsContaining(ctx, dir, *f.Commit); err != nil {
					return nil, err
				}
				for i := range r {
					r[i], _ = m.RedactName(r[i])
				}
				refCache[*f.Commit] = r
			}
			f.Refs = r
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Profile != b.Profile {
			return a.Profile < b.Profile
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		if a.Encoding != b.Encoding {
			return a.Encoding < b.Encoding
		}
		return a.Object < b.Object
	})
	return out, nil
}

// maxRefLookups bounds the `git for-each-ref --contains` calls of one scan;
// findings beyond it carry no ref names (their reachability is still known).
const maxRefLookups = 32

// reachRank orders reachability: a value reachable from a ref matters most.
func reachRank(r string) int {
	switch r {
	case ReachRef:
		return 2
	case ReachReflog:
		return 1
	}
	return 0
}

// better reports whether finding a (with commit age aa, see introduction)
// should represent its group instead of b: more reachable first, then the
// older commit.
func better(a Finding, aa int64, b Finding, ab int64) bool {
	if ra, rb := reachRank(a.Reach), reachRank(b.Reach); ra != rb {
		return ra > rb
	}
	return aa > ab
}
