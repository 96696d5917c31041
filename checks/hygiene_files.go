package checks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// maxScanFile caps how much of one file is searched for a stored secret.
const maxScanFile = 16 << 20

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
	var secrets []namedSecret
	var itemErr error
	if it, err := env.Item(ctx, p.Name); err == nil {
		secrets = itemSecrets(it)
	} else {
		itemErr = err
	}
	found, err := scanProject(ctx, p.Project, secrets)
	if err != nil {
		return Result{Status: Unknown, Summary: "cannot inspect " + p.Project + ": " + err.Error(),
			Details: map[string]any{"findings": []any{}},
			Hint:    "check the profile's project path"}
	}
	return judgeFiles(p.Project, found, itemErr)
}

type namedSecret struct {
	field string // key, secret, passphrase
	value []byte
}

func itemSecrets(it keystore.Item) []namedSecret {
	var out []namedSecret
	for _, s := range []struct {
		f string
		v keystore.Secret
	}{{"key", it.APIKey}, {"secret", it.APISecret}, {"passphrase", it.Passphrase}} {
		// Very short values (a 4-character passphrase) would match by
		// chance; the scanner in `keywarden scan` reports those.
		if len(s.v.Reveal()) >= 8 {
			out = append(out, namedSecret{s.f, []byte(s.v.Reveal())})
		}
	}
	return out
}

// isDotenv matches .env, .env.local, prod.env and the like.
func isDotenv(name string) bool {
	return name == ".env" || strings.HasPrefix(name, ".env.") || strings.HasSuffix(name, ".env")
}

// scanProject finds dotenv files that are readable by others, not
// git-ignored, or tracked; and the stored secrets in tracked files (every
// file when the project is not a git repository).
func scanProject(ctx context.Context, dir string, secrets []namedSecret) ([]FileFinding, error) {
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
	if len(secrets) > 0 {
		search := all
		if git {
			search = search[:0:0]
			for f := range tracked {
				search = append(search, f)
			}
			slices.Sort(search)
		}
		for _, rel := range search {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fields, err := fileHolds(filepath.Join(dir, filepath.FromSlash(rel)), secrets)
			if err != nil {
				continue // deleted from the working tree, or unreadable
			}
			for _, f := range fields {
				where := "tracked file"
				if !git {
					where = "file"
				}
				out = append(out, FileFinding{Path: rel, Problem: fmt.Sprintf("stored %s in a %s", f, where), Crit: true})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b FileFinding) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func fileHolds(path string, secrets []namedSecret) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxScanFile))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range secrets {
		if bytes.Contains(b, s.value) {
			out = append(out, s.field)
		}
	}
	return out, nil
}

func isGitRepo(ctx context.Context, dir string) bool {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--is-inside-work-tree").Output()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

func gitLines(ctx context.Context, dir string, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "core.quotepath=off"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
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
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "check-ignore", "-z", "--no-index", "--stdin")
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\x00") + "\x00")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: none ignored
		return nil, fmt.Errorf("git check-ignore: %w", err)
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
