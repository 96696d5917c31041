// Package trustpath refuses files that another user could have written or
// swapped, the way OpenSSH's StrictModes does (secure_filename in auth.c):
// the file, and every directory its path passes through up to /, must be
// owned by the user running keywarden or by root, and must not be writable
// by group or others.
//
// One exception, which OpenSSH does not make: a directory with the sticky
// bit (like /tmp, mode 1777) is accepted above the file's own directory
// when it is owned by the user or root. In a sticky directory nobody but an
// entry's owner, the directory's owner and root can rename or remove that
// entry, so another user cannot swap the private directory keywarden's file
// lives in. The directory that holds the file itself must never be writable
// by others, sticky or not: there another user could create the file (a
// lock, a vault not written yet) before keywarden does.
//
// Symlinks are followed component by component, and every directory the
// resolution reads (where the links live and where they point) is checked.
package trustpath

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrUntrusted is wrapped by every refusal of Check.
var ErrUntrusted = errors.New("another user could change it")

// maxLinks bounds the symlinks followed in one path, as the kernel does.
const maxLinks = 40

// Check returns nil when path (a file or directory) and every directory
// above it are safe from other users. what names the file in the error
// ("config file", "vault"). An error wrapping fs.ErrNotExist means path, or
// a directory on the way to it, does not exist.
func Check(path, what string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	uid, checkOwner := currentUID()
	c := checker{what: what, path: path, uid: uid, checkOwner: checkOwner}
	return c.run(abs)
}

type checker struct {
	what, path string
	uid        int
	checkOwner bool
}

// walk resolves abs one component at a time and checks every directory it
// looks into and the final entry.
func (c *checker) walk(abs string) error {
	todo := splitPath(abs)
	cur := "/"
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if name == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		// cur's entry name is looked up: cur must be safe. It is the
		// file's own directory when name is the last component.
		fi, err := os.Stat(cur)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.what, c.path, err)
		}
		if err := c.dir(cur, fi, len(todo) == 0); err != nil {
			return err
		}
		next := filepath.Join(cur, name)
		li, err := os.Lstat(next)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.what, c.path, err)
		}
		if li.Mode()&fs.ModeSymlink != 0 {
			if links++; links > maxLinks {
				return fmt.Errorf("%s %s: more than %d symbolic links", c.what, c.path, maxLinks)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.what, c.path, err)
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			todo = append(splitPath(target), todo...)
			continue
		}
		cur = next
	}
	fi, err := os.Stat(cur)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.what, c.path, err)
	}
	return c.entry(cur, fi)
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" && s != "." {
			out = append(out, s)
		}
	}
	return out
}

// entry checks the file (or directory) itself.
func (c *checker) entry(real string, fi fs.FileInfo) error {
	if err := c.owner(real, fi, c.what+" "+c.path); err != nil {
		return err
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Errorf("%s %s is writable by group or others (mode %04o), so %w; refusing to use it\nfix: chmod go-w %s",
			c.what, c.path, m, ErrUntrusted, Quote(real))
	}
	return nil
}

// dir checks a directory whose entries the path resolution reads; own is
// true for the directory holding the final entry.
func (c *checker) dir(dir string, fi fs.FileInfo, own bool) error {
	label := fmt.Sprintf("directory %s (holding %s %s)", dir, c.what, c.path)
	if !fi.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", label, dir)
	}
	if err := c.owner(dir, fi, label); err != nil {
		return err
	}
	m := fi.Mode()
	if m.Perm()&0o022 == 0 {
		return nil
	}
	if m&fs.ModeSticky != 0 && !own {
		return nil // owner checked above: others cannot rename what is ours
	}
	mode := fmt.Sprintf("%04o", m.Perm())
	if m&fs.ModeSticky != 0 {
		mode = fmt.Sprintf("1%03o, sticky", m.Perm())
		return fmt.Errorf("%s is writable by others (mode %s): another user could create the file before keywarden does, so %w; refusing to use it\nfix: keep %s in a directory only you can write (for example under ~/.config or ~/.local/share)",
			label, mode, ErrUntrusted, c.what)
	}
	return fmt.Errorf("%s is writable by group or others (mode %s): another user could replace the file, so %w; refusing to use it\nfix: chmod go-w %s",
		label, mode, ErrUntrusted, Quote(dir))
}

func (c *checker) owner(real string, fi fs.FileInfo, label string) error {
	if !c.checkOwner {
		return nil
	}
	uid, ok := ownerUID(fi)
	if !ok || uid == c.uid || uid == 0 {
		return nil
	}
	return fmt.Errorf("%s is owned by uid %d, not by you (uid %d) or root, so %w; refusing to use it\nfix: check its content, then make it yours: sudo chown %d %s",
		label, uid, c.uid, ErrUntrusted, c.uid, Quote(real))
}

// Quote returns s as one shell word, for the fix lines of errors.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '~' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Lock checks a lock file before it is opened (and created if missing): its
// directory must be safe (Check), and an existing lock must not be a
// symbolic link, and must be safe and unreadable by others too, since
// anyone who can open a file can flock it and stall every keywarden waiting
// for the lock.
func Lock(path, what string) error {
	if err := Check(filepath.Dir(path), what+" directory"); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	// Followed, a link would put the lock (or create it) wherever it points.
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s %s is a symbolic link: keywarden opens locks only as themselves\nfix: rm %s", what, path, Quote(path))
	}
	if err := Check(path, what); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o044 != 0 {
		return fmt.Errorf("%s %s is readable by group or others (mode %04o): another user could hold the lock and stall keywarden, so %w; refusing to use it\nfix: chmod 600 %s",
			what, path, fi.Mode().Perm(), ErrUntrusted, Quote(path))
	}
	return nil
}
