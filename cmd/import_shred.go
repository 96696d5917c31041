package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keywarden/keywarden/internal/atomicfile"
	"github.com/keywarden/keywarden/keystore"
)

// checkShreddable refuses, before anything is read or stored, a --shred of
// a file whose content other names share: zero-filling a symlink's target
// or a hard-linked inode destroys what the other names hold.
func checkShreddable(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("reading dotenv: %w", err)
	}
	return shreddable(path, fi)
}

func shreddable(path string, fi os.FileInfo) error {
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return usageError("%s is a symbolic link: --shred would overwrite the file it points to, which other names may share\nfix: import the file it points to, or import without --shred and edit the key out yourself", path)
	case !fi.Mode().IsRegular():
		return usageError("%s is not a regular file: --shred needs one", path)
	case atomicfile.Links(fi) > 1:
		return usageError("%s has %d hard links: --shred would destroy the content every other name shares\nfix: import without --shred and edit the key out yourself", path, atomicfile.Links(fi))
	}
	return nil
}

// shredResult says what shredImported did to the dotenv.
type shredResult struct {
	removed bool  // nothing else was in the file: it is gone
	holding []int // lines left in the file that still hold an imported value
}

// verifyAndShred reads the stored item back and, only when it matches what
// was read from the file, takes the imported variables out of the file:
// the other lines are written to a new file that replaces it atomically
// (or, when nothing else was in it, the file is removed), and the old
// content is overwritten with zeros. The file must still be the one that
// was read (same content, one link, no symlink); otherwise it is kept.
func verifyAndShred(ctx context.Context, store keystore.Store, name string, want keystore.Item, path string, env *dotenv, text string, vars ...string) (shredResult, error) {
	got, err := keystore.ReadBack(ctx, store, name)
	if err != nil {
		return shredResult{}, fmt.Errorf("reading the stored key back failed, %s was kept: %w", path, err)
	}
	if !got.Equal(want) {
		return shredResult{}, fmt.Errorf("the stored key does not match what was read, %s was kept: run 'keywarden remove %s' and import again", path, name)
	}
	f, err := os.OpenFile(path, os.O_RDWR|atomicfile.NoFollow, 0)
	if err != nil {
		return shredResult{}, fmt.Errorf("shredding %s (kept): %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return shredResult{}, fmt.Errorf("shredding %s (kept): %w", path, err)
	}
	if err := shreddable(path, fi); err != nil {
		return shredResult{}, err
	}
	now, err := io.ReadAll(io.LimitReader(f, maxDotenv+1))
	if err != nil {
		return shredResult{}, fmt.Errorf("shredding %s (kept): %w", path, err)
	}
	if !bytes.Equal(now, []byte(text)) {
		return shredResult{}, fmt.Errorf("%s changed since it was read, so it was kept: edit the key out yourself (the stored copy is verified)", path)
	}
	rest, blank := env.without(text, vars...)
	var res shredResult
	if blank {
		if err := zeroFill(f, fi.Size()); err != nil {
			return res, fmt.Errorf("shredding %s: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return res, fmt.Errorf("shredding %s (overwritten, not removed): %w", path, err)
		}
		res.removed = true
		return res, nil
	}
	// The other lines are in place before the old content is destroyed: a
	// crash in between leaves them, never a file without them.
	if err := atomicfile.Write(path, []byte(rest), fi.Mode().Perm()); err != nil {
		return res, fmt.Errorf("rewriting %s without the imported variables (kept as it was): %w", path, err)
	}
	atomicfile.KeepOwner(path, fi)
	if err := zeroFill(f, fi.Size()); err != nil {
		return res, fmt.Errorf("%s was rewritten without the imported variables, but its old content could not be overwritten: %w", path, err)
	}
	res.holding = linesHolding(rest, want)
	return res, nil
}

// zeroFill overwrites the first size bytes of f with zeros and syncs.
func zeroFill(f *os.File, size int64) error {
	if _, err := f.WriteAt(make([]byte, size), 0); err != nil {
		return err
	}
	return f.Sync()
}

// linesHolding returns the 1-based lines of text that contain a value of it
// (a copy under another name, a commented-out line).
func linesHolding(text string, it keystore.Item) []int {
	var vals []string
	for _, s := range []keystore.Secret{it.APIKey, it.APISecret, it.Passphrase} {
		if v := s.Reveal(); v != "" {
			vals = append(vals, v)
		}
	}
	var out []int
	for i, l := range strings.Split(text, "\n") {
		for _, v := range vals {
			if strings.Contains(l, v) {
				out = append(out, i+1)
				break
			}
		}
	}
	return out
}

// reportShred prints what --shred did to the dotenv.
func reportShred(app *App, path string, res shredResult, vars ...string) {
	if res.removed {
		fmt.Fprintf(app.Stdout, "verified the stored copy; overwrote and removed %s\n", path)
	} else {
		var names []string
		for _, v := range vars {
			if v != "" {
				names = append(names, v)
			}
		}
		fmt.Fprintf(app.Stdout, "verified the stored copy; removed %s from %s (its other lines are kept) and overwrote the old content\n", strings.Join(names, ", "), path)
	}
	for _, l := range res.holding {
		fmt.Fprintf(app.Stderr, "%s:%d still holds an imported value: edit it out\n", path, l)
	}
}
