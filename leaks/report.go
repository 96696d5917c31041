package leaks

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// jsonReport is the spec's `scan --json` shape plus a few extra fields.
type jsonReport struct {
	Findings     []Finding `json:"findings"`
	BlobsScanned int64     `json:"blobs_scanned"`
	BytesScanned int64     `json:"bytes_scanned"`
	DurationMS   int64     `json:"duration_ms"`
	FilesScanned int64     `json:"files_scanned"`
	FilesSkipped int64     `json:"files_skipped"`
	History      string    `json:"history"`
	Missing      int64     `json:"missing_objects"` // referenced by history, absent: not searched
	Dir          string    `json:"dir"`
	NotSearched  []string  `json:"not_searched"` // "profile/field" values too short to search for
}

// WriteJSON writes the report as the `scan --json` object.
func (r *Report) WriteJSON(w io.Writer) error {
	j := jsonReport{Findings: r.Findings, BlobsScanned: r.BlobsScanned, BytesScanned: r.BytesScanned,
		DurationMS: r.Duration.Milliseconds(), FilesScanned: r.FilesScanned, FilesSkipped: r.FilesSkipped,
		History: r.History, Missing: r.MissingObjects, Dir: r.Dir, NotSearched: []string{}}
	if j.Findings == nil {
		j.Findings = []Finding{}
	}
	for _, l := range r.Skipped {
		j.NotSearched = append(j.NotSearched, l.Profile+"/"+string(l.Field))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// Where describes a finding's location for people: file:line for the
// working tree, short-commit path:line for history.
func (f Finding) Where() string {
	loc := f.Path
	if loc != "" && f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.Path, f.Line)
	}
	if f.InName {
		loc = "a file or directory name (withheld)"
		if f.InRef {
			loc = "a ref name (withheld)"
		}
		if f.Commit != nil {
			loc = short(*f.Commit) + " " + loc
		}
		return loc
	}
	if f.Source == SourceWorktree || f.Source == SourceStaged {
		return loc
	}
	switch {
	case f.Commit != nil && f.Path == "":
		return short(*f.Commit) + " (commit message)"
	case f.Commit != nil:
		return short(*f.Commit) + " " + loc
	case f.Reach == ReachRef:
		return "tag " + short(f.Object) + " (tag message)"
	}
	return "object " + short(f.Object) + " (in no commit)"
}

// Note says what else matters about a finding: git status, whether HEAD
// still has it, how it is reachable.
func (f Finding) Note() string {
	var notes []string
	if f.Source == SourceWorktree {
		notes = append(notes, f.GitStatus)
		if f.InHead {
			notes = append(notes, "committed in HEAD")
		}
		return strings.Join(notes, ", ")
	}
	switch {
	case f.InHead:
		notes = append(notes, "still in HEAD")
	case f.Path != "":
		notes = append(notes, "not in HEAD")
	}
	if f.Versions > 1 {
		notes = append(notes, fmt.Sprintf("%d versions", f.Versions))
	}
	switch f.Reach {
	case ReachRef:
		if len(f.Refs) > 3 {
			notes = append(notes, fmt.Sprintf("on %s and more", strings.Join(f.Refs[:3], ", ")))
		} else if len(f.Refs) > 0 {
			notes = append(notes, "on "+strings.Join(f.Refs, ", "))
		}
	case ReachReflog:
		notes = append(notes, "only in the reflog")
	case ReachDangling:
		notes = append(notes, "unreferenced object, not yet pruned")
	}
	return strings.Join(notes, "; ")
}

func short(id string) string {
	if len(id) > 10 {
		return id[:10]
	}
	return id
}

// WriteText writes the report for people: one line per finding, then what
// to do. It never prints a value, only where it is.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	files := fmt.Sprintf("%d files", r.FilesScanned)
	if r.FilesSkipped > 0 {
		files += fmt.Sprintf(" (%d over the size limit skipped)", r.FilesSkipped)
	}
	git := "git history " + r.History
	switch r.History {
	case "scanned":
		git = fmt.Sprintf("%d git objects", r.BlobsScanned)
	case "cached":
		git = fmt.Sprintf("%d git objects (unchanged since the last scan: cached result)", r.BlobsScanned)
	}
	stats := fmt.Sprintf("%s, %s, %s in %s", files, git, mib(r.BytesScanned), r.Duration.Round(1e6))
	for _, l := range r.Skipped {
		fmt.Fprintf(&b, "note: %s %s is shorter than %d characters and was not searched for\n", l.Profile, l.Field, MinValueLen)
	}
	if r.MissingObjects > 0 {
		fmt.Fprintf(&b, "⚠ %d object(s) that history refers to are missing from this repository (a partial or damaged clone): they were not searched\n", r.MissingObjects)
		if len(r.Findings) == 0 {
			fmt.Fprintf(&b, "? no stored value found in what could be read of %s (%s), but the result is unknown: fetch the missing objects (git fetch --refetch, or a fresh clone) and scan again; git fsck lists them\n", r.Dir, stats)
			_, err := io.WriteString(w, b.String())
			return err
		}
	}
	if len(r.Findings) == 0 {
		fmt.Fprintf(&b, "✓ no stored key, secret or passphrase found in %s (%s)\n", r.Dir, stats)
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, f := range r.Findings {
		where := "in " + f.Where()
		if f.Source == SourceHistory {
			where = "in history: " + f.Where()
		}
		line := fmt.Sprintf("✗ %s %s (%s) %s", f.Profile, f.Field, f.Encoding, where)
		if n := f.Note(); n != "" {
			line += " [" + n + "]"
		}
		b.WriteString(line + "\n")
	}
	word := "findings"
	if len(r.Findings) == 1 {
		word = "finding"
	}
	fmt.Fprintf(&b, "\n%d %s in %s (%s).\n", len(r.Findings), word, r.Dir, stats)
	b.WriteString(r.fixText())
	_, err := io.WriteString(w, b.String())
	return err
}

// fixText is the remedy, adapted to where the values were found.
func (r *Report) fixText() string {
	profiles := map[string]bool{}
	var tree, hist, reflog bool
	for _, f := range r.Findings {
		profiles[f.Profile] = true
		switch {
		case f.Source == SourceWorktree:
			tree = true
		case f.Reach == ReachRef:
			hist = true
		default:
			reflog = true
		}
	}
	names := make([]string, 0, len(profiles))
	for p := range profiles {
		names = append(names, p)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Fix:\n")
	fmt.Fprintf(&b, "  1. revoke the leaked key on the exchange now and create a new one: keywarden rotate %s\n", strings.Join(names, ", keywarden rotate "))
	n := 2
	if tree {
		fmt.Fprintf(&b, "  %d. delete the value from the files listed (ignored files too: anything on disk gets copied) and keep it only in the keystore: keywarden import --shred\n", n)
		n++
	}
	if hist {
		fmt.Fprintf(&b, "  %d. once the key is revoked, rewrite history: keywarden scan --rewrite (backs up every ref, replaces every form of the values with git filter-repo, rescans, prints the force-push commands); then every clone must re-clone\n", n)
		n++
	}
	if reflog || hist {
		fmt.Fprintf(&b, "  %d. drop what is left in .git: git reflog expire --expire-unreachable=now --all && git gc --prune=now\n", n)
	}
	return b.String()
}

func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
