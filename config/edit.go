package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/keywarden/keywarden/internal/atomicfile"
	"github.com/keywarden/keywarden/internal/regularfile"
	"github.com/keywarden/keywarden/internal/trustpath"
)

// ErrNoProfile is returned (wrapped) by RemoveProfile when the file has no
// profile of that name.
var ErrNoProfile = errors.New("no such profile")

const newFileHeader = `# keywarden configuration — see README.md, section Config.
# Secrets are never stored here: they live in the keystore.
`

// AppendProfile adds a [[profile]] block at the end of the config file at
// path, creating the file (0600, directory 0700) when it does not exist.
// The rest of the file — comments, order, layout — is kept byte for byte.
// The edited text must still load; a duplicate name is an error.
func AppendProfile(path string, p Profile) error {
	if path == "" {
		path = DefaultPath()
	}
	if err := CheckProfileName(p.Name); err != nil {
		return err
	}
	if err := CheckExchange(p.Exchange); err != nil {
		return err
	}
	path, err := editTarget(path)
	if err != nil {
		return err
	}
	unlock, err := lockForEdit(path)
	if err != nil {
		return err
	}
	defer unlock()
	old, mode, err := readForEdit(path)
	if err != nil {
		return err
	}
	if old == "" {
		old = newFileHeader
	} else if cfg, err := Parse(path, []byte(old)); err != nil {
		return fmt.Errorf("not editing %s, it does not load: %w", path, err)
	} else if _, dup := cfg.Profile(p.Name); dup {
		return fmt.Errorf("profile %q already exists in %s: pick another name, or remove it first with 'keywarden remove %s'", p.Name, path, p.Name)
	}
	if !strings.HasSuffix(old, "\n") {
		old += "\n"
	}
	text := old + "\n" + ProfileTOML(p)
	if _, err := Parse(path, []byte(text)); err != nil {
		return fmt.Errorf("profile %q would make %s invalid: %w", p.Name, path, err)
	}
	return writeAtomic(path, []byte(text), mode)
}

// RemoveProfile deletes the [[profile]] block named name (and its
// [profile.*] sub-tables) from the config file, keeping everything else as
// written. Comment lines directly above the next block stay with it.
func RemoveProfile(path, name string) error {
	if path == "" {
		path = DefaultPath()
	}
	path, err := editTarget(path)
	if err != nil {
		return err
	}
	unlock, err := lockForEdit(path)
	if err != nil {
		return err
	}
	defer unlock()
	old, mode, err := readForEdit(path)
	if err != nil {
		return err
	}
	if old == "" {
		return fmt.Errorf("profile %q: %w (%s does not exist)", name, ErrNoProfile, path)
	}
	before, err := Parse(path, []byte(old))
	if err != nil {
		return fmt.Errorf("not editing %s, it does not load: %w", path, err)
	}
	if _, ok := before.Profile(name); !ok {
		return fmt.Errorf("profile %q: %w in %s", name, ErrNoProfile, path)
	}
	lines := strings.SplitAfter(old, "\n")
	loc := newLocator(old)
	start, end := -1, -1
	for i, s := range loc.sections {
		if s.name != "profile" || !s.array || blockName(loc, s) != name {
			continue
		}
		start, end = s.start, s.end
		for _, sub := range loc.sections[i+1:] {
			if !strings.HasPrefix(sub.name, "profile.") {
				break
			}
			end = sub.end
		}
		break
	}
	if start < 0 {
		return fmt.Errorf("profile %q in %s is not written as a [[profile]] block keywarden can edit: remove it by hand", name, path)
	}
	// Comment lines directly above a header describe that block: the
	// removed block's own go with it, the next block's stay.
	for start > 0 && isComment(lines[start-1]) {
		start--
	}
	if end < len(lines) {
		for end > start+1 && isComment(lines[end-1]) {
			end--
		}
	}
	// Keep the blank lines that separated the block from the next one, and
	// drop the one before it, so removals leave no gaps.
	for end > start+1 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	if start > 0 && strings.TrimSpace(lines[start-1]) == "" {
		start--
	}
	text := strings.Join(lines[:start], "") + strings.Join(lines[end:], "")
	after, err := Parse(path, []byte(text))
	if err != nil {
		return fmt.Errorf("removing profile %q would make %s invalid: %w", name, path, err)
	}
	if _, still := after.Profile(name); still || len(after.Profiles) != len(before.Profiles)-1 {
		return fmt.Errorf("profile %q in %s is not written in a way keywarden can edit: remove it by hand", name, path)
	}
	return writeAtomic(path, []byte(text), mode)
}

func isComment(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "#") }

// blockName decodes the name = "…" line of a [[profile]] section.
func blockName(loc *locator, s section) string {
	ln := loc.fieldLine(s, "name")
	if ln == 0 {
		return ""
	}
	var v struct {
		Name string `toml:"name"`
	}
	if _, err := toml.Decode(loc.lines[ln-1], &v); err != nil {
		return ""
	}
	return v.Name
}

// ProfileTOML renders p as a [[profile]] block, leaving out empty fields and
// default env names.
func ProfileTOML(p Profile) string {
	var b strings.Builder
	b.WriteString("[[profile]]\n")
	kv := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, TOMLString(v)) }
	list := func(k string, vs []string) {
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = TOMLString(v)
		}
		fmt.Fprintf(&b, "%s = [%s]\n", k, strings.Join(q, ", "))
	}
	kv("name", p.Name)
	kv("exchange", p.Exchange)
	if p.BaseURL != "" {
		kv("base_url", p.BaseURL)
	}
	if len(p.Whitelist) > 0 {
		list("whitelist", p.Whitelist)
	}
	if len(p.Needs) > 0 {
		list("needs", p.Needs)
	}
	if p.MaxAge > 0 {
		kv("max_age", FormatDuration(p.MaxAge))
	}
	if !p.Created.IsZero() {
		fmt.Fprintf(&b, "created = %s\n", p.Created.Format("2006-01-02"))
	}
	if p.AuditLog != "" {
		kv("audit_log", p.AuditLog)
	}
	if p.Project != "" {
		kv("project", p.Project)
	}
	if p.Insecure {
		b.WriteString("insecure = true\n")
	}
	var env []string
	for _, e := range []struct{ k, v, def string }{
		{"key", p.Env.Key, DefaultEnvKey}, {"secret", p.Env.Secret, DefaultEnvSecret}, {"passphrase", p.Env.Passphrase, DefaultEnvPassphrase},
	} {
		if e.v != "" && e.v != e.def {
			env = append(env, e.k+" = "+TOMLString(e.v))
		}
	}
	if len(env) > 0 {
		fmt.Fprintf(&b, "env = { %s }\n", strings.Join(env, ", "))
	}
	return b.String()
}

// TOMLString quotes s as a TOML basic string.
func TOMLString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// editTarget is the file an edit of the config at path replaces: path, or
// the regular file a symlink at path leads to (written in place, the link
// kept). A dangling link is refused: no config is created through it.
func editTarget(path string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("creating config directory: %w", err)
	}
	target, err := atomicfile.Target(path)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	return target, nil
}

// readForEdit returns the file's text ("" when missing) and the mode to keep.
func readForEdit(path string) (string, fs.FileMode, error) {
	data, err := readLimited(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0o600, nil
	}
	if errors.Is(err, regularfile.ErrNotRegular) {
		return "", 0, err
	}
	if err != nil {
		return "", 0, fmt.Errorf("reading config: %w", err)
	}
	if err := CheckWritable(path, "config file"); err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, fmt.Errorf("reading config: %w", err)
	}
	return string(data), fi.Mode().Perm(), nil
}

// writeAtomic replaces path with data (see atomicfile.Write): a crash
// leaves the old or the new file, never a half-written one.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	if err := atomicfile.Write(path, data, mode); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	return nil
}

// editLockWait bounds the wait for another keywarden's edit of the file.
const editLockWait = 10 * time.Second

// lockForEdit takes an exclusive lock on path+".lock" for a
// read-modify-write of the config, so two keywarden processes adding
// profiles at once do not lose one of them. path is the file edits
// replace (editTarget), so every symlink to one config shares one lock.
func lockForEdit(path string) (unlock func(), err error) {
	if err := trustpath.Lock(path+".lock", "config lock"); err != nil {
		return nil, err
	}
	unlock, err = atomicfile.Lock(context.Background(), path+".lock", editLockWait)
	if errors.Is(err, atomicfile.ErrBusy) {
		return nil, fmt.Errorf("config %s is being edited by another keywarden process: try again when it has finished", path)
	} else if err != nil {
		return nil, fmt.Errorf("locking config: %w", err)
	}
	return unlock, nil
}
