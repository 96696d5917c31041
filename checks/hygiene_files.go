package checks

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/gitsafe"
	"github.com/keywarden/keywarden/leaks"
)

// skipDirs are never walked looking for dotenv files.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".venv": true, "venv": true,
	"__pycache__": true, ".tox": true, ".mypy_cache": true, "target": true}

// FileFinding is one hygiene.files problem.
type FileFinding struct {
	Path    string // relative to the project
	Problem string
	Crit    bool
}

func runHygieneFiles(ctx context.Context, env *Env, p config.Profile) Result {
	var targets []leaks.Target
	var itemErr error
	if it, err := env.Item(ctx, p.Name); err == nil {
		targets = leaks.TargetsFromItem(p.Name, it)
	} else {
		itemErr = err
	}
	found, err := scanProject(ctx, p.Project, targets)
	if err != nil {
		return Result{Status: Unknown, Summary: "cannot inspect " + p.Project + ": " + err.Error(),
			Details: map[string]any{"findings": []any{}},
			Hint:    "check the profile's project path"}
	}
	return judgeFiles(p.Project, found, itemErr)
}

// isDotenv matches .env, .env.local, prod.env and the like.
func isDotenv(name string) bool {
	return name == ".env" || strings.HasPrefix(name, ".env.") || strings.HasSuffix(name, ".env")
}

// scanProject finds dotenv files that are readable by others, not
// git-ignored, or tracked; and the stored secrets in tracked files (every
// file when the project is not a git repository).
func scanProject(ctx context.Context, dir string, targets []leaks.Target) ([]FileFinding, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	git := isGitRepo(ctx, dir)
	var tracked map[string]bool
	if git {
		t, err := gitLines(ctx, dir, "ls-files", "-z")
		if err != nil {
			return nil, err
		}
		tracked = map[string]bool{}
		for _, f := range t {
			tracked[f] = true
		}
	}
	var out []FileFinding
	var dotenvs, all []string
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // unreadable subtree: not ours to judge
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(dir, path)
		if de.IsDir() {
			if path != dir && skipDirs[de.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !de.Type().IsRegular() {
			return nil
		}
		rel = filepath.ToSlash(rel)
		all = append(all, rel)
		if isDotenv(de.Name()) {
			dotenvs = append(dotenvs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ignored map[string]bool
	if git && len(dotenvs) > 0 {
		ign, err := gitCheckIgnore(ctx, dir, dotenvs)
		if err != nil {
			return nil, err
		}
		ignored = ign
	}
	for _, rel := range dotenvs {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			continue
		}
		if m := fi.Mode().Perm(); m&0o044 != 0 {
			who := "group"
			if m&0o004 != 0 {
				who = "world"
			}
			out = append(out, FileFinding{Path: rel, Problem: fmt.Sprintf("%s-readable (%04o)", who, m)})
		}
		switch {
		case !git:
		case tracked[rel]:
			out = append(out, FileFinding{Path: rel, Problem: "tracked by git"})
		case !ignored[rel]:
			out = append(out, FileFinding{Path: rel, Problem: "not git-ignored"})
		}
	}
	if len(targets) > 0 {
		leaked, err := storedValuesIn(ctx, dir, git, targets)
		if err != nil {
			return nil, err
		}
		out = append(out, leaked...)
	}
	slices.SortStableFunc(out, func(a, b FileFinding) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// storedValuesIn finds the stored values, in every encoding the leak scanner
// knows, in the project's tracked files (every file when it is not a git
// repository). For git repositories the result is cached by the scanner,
// keyed by the index and HEAD, so repeated checks are instant.
func storedValuesIn(ctx context.Context, dir string, git bool, targets []leaks.Target) ([]FileFinding, error) {
	var found []leaks.Finding
	where := "tracked file"
	if git {
		f, _, err := leaks.TrackedCached(ctx, dir, targets, "")
		if err != nil {
			return nil, err
		}
		found = f
	} else {
		rep, err := leaks.Scan(ctx, targets, leaks.Options{Dir: dir})
		if err != nil {
			return nil, err
		}
		found, where = rep.Findings, "file"
	}
	var out []FileFinding
	for _, f := range found {
		what := string(f.Field)
		if f.Encoding != leaks.Raw {
			what += " (" + string(f.Encoding) + ")"
		}
		out = append(out, FileFinding{Path: f.Path, Crit: true,
			Problem: fmt.Sprintf("stored %s in a %s, line %d", what, where, f.Line)})
	}
	return out, nil
}

func isGitRepo(ctx context.Context, dir string) bool {
	out, err := gitsafe.Output(ctx, dir, nil, nil, "rev-parse", "--is-inside-work-tree")
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

func gitLines(ctx context.Context, dir string, args ...string) ([]string, error) {
	out, err := gitsafe.Output(ctx, dir, nil, nil, args...)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\x00") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// gitCheckIgnore returns which of paths git ignores.
func gitCheckIgnore(ctx context.Context, dir string, paths []string) (map[string]bool, error) {
	in := strings.NewReader(strings.Join(paths, "\x00") + "\x00")
	out, err := gitsafe.Output(ctx, dir, in, []int{1}, "check-ignore", "-z", "--no-index", "--stdin") // 1: none ignored
	if err != nil {
		return nil, err
	}
	ign := map[string]bool{}
	for _, l := range strings.Split(string(out), "\x00") {
		if l != "" {
			ign[l] = true
		}
	}
	return ign, nil
}

func judgeFiles(project string, found []FileFinding, itemErr error) Result {
	list := make([]map[string]any, 0, len(found))
	crit := false
	for _, f := range found {
		list = append(list, map[string]any{"path": f.Path, "problem": f.Problem})
		crit = crit || f.Crit
	}
	d := map[string]any{"findings": list, "project": project}
	note := ""
	if itemErr != nil {
		note = " (stored key unavailable, so no search for it)"
		d["search_error"] = itemErr.Error()
	}
	if len(found) == 0 {
		return Result{Status: OK, Details: d, Summary: "no exposed dotenv files or stored keys in " + project + note}
	}
	first := found[0]
	for _, f := range found {
		if f.Crit {
			first = f
			break
		}
	}
	sum := first.Path + ": " + first.Problem
	if len(found) > 1 {
		sum += fmt.Sprintf(" (+%d more)", len(found)-1)
	}
	if crit {
		return Result{Status: Crit, Details: d, Summary: sum + note,
			Hint: "revoke this key on the exchange now, create a new one (`keywarden rotate`), and remove the value from the file"}
	}
	return Result{Status: Warn, Details: d, Summary: sum + note,
		Hint: "chmod 600 the dotenv file and add it to .gitignore, or `keywarden import --shred` it into the keystore"}
}

// DotenvGitProblem says how git sees the dotenv file path inside the work
// tree at dir, in the words hygiene.files uses: "tracked by git", "not
// git-ignored", or "" when it is ignored or dir is not a git work tree.
// import warns with it about the file it read.
func DotenvGitProblem(ctx context.Context, dir, path string) (string, error) {
	if !isGitRepo(ctx, dir) {
		return "", nil
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%s is not inside %s", path, dir)
	}
	rel = filepath.ToSlash(rel)
	t, err := gitLines(ctx, dir, "ls-files", "-z", "--", rel)
	if err != nil {
		return "", err
	}
	if len(t) > 0 {
		return "tracked by git", nil
	}
	ign, err := gitCheckIgnore(ctx, dir, []string{rel})
	if err != nil {
		return "", err
	}
	if !ign[rel] {
		return "not git-ignored", nil
	}
	return "", nil
}
