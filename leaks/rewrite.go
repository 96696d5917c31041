package leaks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/keywarden/keywarden/internal/gitsafe"
	"github.com/keywarden/keywarden/internal/secretenc"
	"github.com/keywarden/keywarden/keystore"
)

// RemovedMark replaces every leaked value in rewritten history.
const RemovedMark = "***REMOVED***"

// Remote is one git remote and the branches the repository tracks there.
type Remote struct {
	Name, URL string
	Branches  []string // branch names (without refs/remotes/NAME/)
}

// PushState is what a rewrite must push back afterwards: every remote with
// its branches, and every tag. Read it before the rewrite: git filter-repo
// removes the origin remote and turns its branches into local ones.
type PushState struct {
	Remotes       []Remote
	LocalBranches []string
	Tags          []string
}

// ReadPushState lists dir's remotes, their tracked branches, local
// branches and tags.
func ReadPushState(ctx context.Context, dir string) (PushState, error) {
	var st PushState
	out, err := gitsafe.Output(ctx, dir, nil, []int{1}, "config", "--get-regexp", `^remote\..*\.url$`)
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		key, url, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(key, "remote."), ".url")
		refs, err := git(ctx, dir, "for-each-ref", "--format=%(refname)", "refs/remotes/"+name+"/")
		if err != nil {
			return st, err
		}
		r := Remote{Name: name, URL: url}
		for _, ref := range strings.Fields(string(refs)) {
			b := strings.TrimPrefix(ref, "refs/remotes/"+name+"/")
			if b != "HEAD" {
				r.Branches = append(r.Branches, b)
			}
		}
		st.Remotes = append(st.Remotes, r)
	}
	for prefix, dst := range map[string]*[]string{"refs/heads/": &st.LocalBranches, "refs/tags/": &st.Tags} {
		refs, err := git(ctx, dir, "for-each-ref", "--format=%(refname)", prefix)
		if err != nil {
			return st, err
		}
		for _, ref := range strings.Fields(string(refs)) {
			*dst = append(*dst, strings.TrimPrefix(ref, prefix))
		}
	}
	return st, nil
}

// PushCommands are the commands that replace every branch and tag of every
// remote with the rewritten history, given the state read before the
// rewrite: origin's branches are local after filter-repo (and origin must
// be added back), another remote's are still its remote-tracking refs. A
// remote with no tracked branch gets the local branches.
func (st PushState) PushCommands() []string {
	var cmds []string
	for _, r := range st.Remotes {
		if r.Name == "origin" {
			cmds = append(cmds, "git remote add origin "+shellWord(r.URL))
		}
		var specs []string
		for _, b := range r.Branches {
			src := "refs/remotes/" + r.Name + "/" + b
			if r.Name == "origin" {
				src = "refs/heads/" + b
			}
			specs = append(specs, shellWord(src+":refs/heads/"+b))
		}
		if len(r.Branches) == 0 {
			for _, b := range st.LocalBranches {
				specs = append(specs, shellWord("refs/heads/"+b+":refs/heads/"+b))
			}
		}
		if len(specs) > 0 {
			cmds = append(cmds, "git push --force "+shellWord(r.Name)+" "+strings.Join(specs, " "))
		}
		var tags []string
		for _, t := range st.Tags {
			tags = append(tags, shellWord("refs/tags/"+t+":refs/tags/"+t))
		}
		if len(tags) > 0 {
			cmds = append(cmds, "git push --force "+shellWord(r.Name)+" "+strings.Join(tags, " "))
		}
	}
	return cmds
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Dirty reports whether dir's work tree has changes to tracked files that
// git filter-repo's final reset would throw away.
func Dirty(ctx context.Context, dir string) (bool, error) {
	cmd := gitsafe.Own(ctx, dir, "status", "--porcelain", "--untracked-files=no", "--ignore-submodules")
	out, err := cmd.Output()
	if err != nil {
		return false, fmt.Errorf("git status in %s: %w", dir, err)
	}
	return len(bytes.TrimSpace(out)) > 0, nil
}

// Backup writes every ref of dir's repository (branches, tags, remotes,
// the stash) to a git bundle at path, readable only by the user: it holds
// the leaked values. `git clone path` restores it.
func Backup(ctx context.Context, dir, path string) error {
	cmd := gitsafe.Own(ctx, dir, "bundle", "create", path, "--all")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git bundle create: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return os.Chmod(path, 0o600)
}

// ReplaceExpressions is git filter-repo's expressions file for values: a
// "literal:FORM==>***REMOVED***" line for every form of every value
// secretenc lists and every base64 core the scanner searches for, longest
// first (so a longer form is replaced before a form inside it). Forms that
// cannot be written on one line (a newline, or "==>") are left out and
// counted. The result is secret: never print it.
func ReplaceExpressions(values []keystore.Secret) (expr []byte, skipped int) {
	seen := map[string]bool{}
	var forms [][]byte
	for _, v := range values {
		raw := []byte(v.Reveal())
		if len(raw) < MinValueLen {
			continue
		}
		for _, n := range encodings(raw) {
			forms = append(forms, n.b)
		}
		for _, f := range secretenc.Forms(raw) {
			if f.Name == secretenc.Base64 || f.Name == secretenc.Base64URL {
				forms = append(forms, f.Value)
			}
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	var b bytes.Buffer
	for _, f := range forms {
		if seen[string(f)] {
			continue
		}
		seen[string(f)] = true
		if bytes.ContainsAny(f, "\r\n") || bytes.Contains(f, []byte("==>")) {
			skipped++
			continue
		}
		b.WriteString("literal:")
		b.Write(f)
		b.WriteString("==>" + RemovedMark + "\n")
	}
	clear(seen)
	for _, f := range forms {
		clear(f)
	}
	return b.Bytes(), skipped
}

// ErrNoFilterRepo is returned (wrapped) when git filter-repo is not installed.
var ErrNoFilterRepo = errors.New("git filter-repo is not installed")

// FilterRepo rewrites every ref of dir's repository with git filter-repo,
// replacing what exprFile lists in file contents and in commit and tag
// messages. --force is given because filter-repo refuses a repository that
// is not a fresh clone; call it only once a backup is made. filter-repo
// then expires the reflogs and prunes the old objects. Its output is
// returned, for showing (after redaction) when it fails.
func FilterRepo(ctx context.Context, dir, exprFile string) ([]byte, error) {
	if _, err := exec.LookPath("git-filter-repo"); err != nil {
		return nil, fmt.Errorf("%w (Debian and Ubuntu: apt install git-filter-repo; else pip install git-filter-repo)", ErrNoFilterRepo)
	}
	abs, err := filepath.Abs(exprFile)
	if err != nil {
		return nil, err
	}
	cmd := gitsafe.Program(ctx, dir, "git-filter-repo", "--force", "--replace-text", abs, "--replace-message", abs)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("git filter-repo: %w", err)
	}
	return out, nil
}

// Toplevel returns the top directory of dir's work tree.
func Toplevel(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	return string(trimNL(out)), nil
}

// RestoreStash gives the rewritten stash commit its reflog entry back:
// filter-repo rewrites refs/stash but expires every reflog, and `git stash`
// reads the stash from the reflog, so without this the stash looks empty.
func RestoreStash(ctx context.Context, dir string) error {
	id, err := git(ctx, dir, "rev-parse", "-q", "--verify", "refs/stash")
	if err != nil {
		return nil // no stash
	}
	stash := string(trimNL(id))
	msg, err := git(ctx, dir, "log", "-1", "--format=%s", stash)
	if err != nil {
		return err
	}
	for _, args := range [][]string{
		{"update-ref", "-d", "refs/stash"},
		{"stash", "store", "-m", string(trimNL(msg)), stash},
	} {
		if out, err := gitsafe.Own(ctx, dir, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("restoring the stash: git %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
