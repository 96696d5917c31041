package keystore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/keywarden/keywarden/internal/atomicfile"
	"github.com/keywarden/keywarden/internal/regularfile"
	"github.com/keywarden/keywarden/internal/trustpath"
)

// ScryptWorkFactor is the scrypt cost (log2 N) of newly written vaults.
// 2^15 (32 MiB, about 0.1 s) rather than age's 2^18 (256 MiB): every
// command that opens the vault cold must fit beside a bot on a 512 MB VPS
// (≤ 64 MiB peak), and a new vault's passphrase needs an estimated 50 bits
// (CheckNewPassphrase), which no guessing at 2^15 reaches. A vault written
// at another factor opens as it is and is rewritten at this one on its next
// write. Tests lower it.
var ScryptWorkFactor = 15

// vaultVersion is the version field of the decrypted vault document.
const vaultVersion = 1

// maxVaultSize bounds the vault file read into memory: a vault holds a few
// hundred bytes per key.
const maxVaultSize = 64 << 20

// vaultDoc is the plaintext inside the age file.
type vaultDoc struct {
	Version int                        `json:"version"`
	Items   map[string]json.RawMessage `json:"items"`
}

// fileStore keeps every item in one age file encrypted to a scrypt
// passphrase. Writes take an exclusive lock on path+".lock", re-read the
// vault, and replace it atomically, so concurrent writers never lose each
// other's items and a crash leaves the old or the new vault.
type fileStore struct {
	path       string
	workFactor int
	pass       *passphraseSource

	mu     sync.Mutex // serialises this process's writers and the cache
	cached *vaultCache
	failed *vaultFailure
}

// vaultFailure remembers a passphrase that did not open the vault, so the
// next read (check reads the vault once per check and profile) returns the
// same error instead of paying the key derivation again — about a second
// each at scrypt's cost. It holds while neither the vault file nor the
// passphrase's source has changed.
type vaultFailure struct {
	stat fs.FileInfo
	pass string // passphraseSource.version at the failure
	err  error
}

// vaultCache avoids one scrypt per Get: the decrypted document is reused
// while the file (a new inode after every replace) has not changed.
type vaultCache struct {
	stat fs.FileInfo
	doc  vaultDoc
}

func newFileStore(path string, workFactor int, pass *passphraseSource) *fileStore {
	if workFactor <= 0 {
		workFactor = ScryptWorkFactor
	}
	return &fileStore{path: path, workFactor: workFactor, pass: pass}
}

func (f *fileStore) Backend() string { return BackendFile }

// Path is the vault's location.
func (f *fileStore) Path() string { return f.path }

func (f *fileStore) Get(ctx context.Context, profile string) (Item, error) {
	doc, err := f.read(ctx)
	if err != nil {
		return Item{}, err
	}
	raw, ok := doc.Items[profile]
	if !ok {
		return Item{}, fmt.Errorf("profile %s: %w in vault %s", profile, ErrNotFound, f.path)
	}
	it, err := UnmarshalItem(raw)
	if err != nil {
		return Item{}, fmt.Errorf("profile %s: %w", profile, err)
	}
	return it, nil
}

func (f *fileStore) List(ctx context.Context) ([]string, error) {
	doc, err := f.read(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(doc.Items))
	for n := range doc.Items {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func (f *fileStore) Set(ctx context.Context, profile string, it Item) error {
	data, err := MarshalItem(it)
	if err != nil {
		return err
	}
	return f.update(ctx, func(doc *vaultDoc) error {
		doc.Items[profile] = data
		return nil
	})
}

func (f *fileStore) Delete(ctx context.Context, profile string) error {
	return f.update(ctx, func(doc *vaultDoc) error {
		if _, ok := doc.Items[profile]; !ok {
			return fmt.Errorf("profile %s: %w in vault %s", profile, ErrNotFound, f.path)
		}
		delete(doc.Items, profile)
		return nil
	})
}

// read returns the current vault document; a missing vault is empty.
func (f *fileStore) read(ctx context.Context) (vaultDoc, error) {
	if err := ctx.Err(); err != nil {
		return vaultDoc{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readLocked()
}

func (f *fileStore) readLocked() (vaultDoc, error) {
	fi, err := os.Stat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return vaultDoc{Version: vaultVersion, Items: map[string]json.RawMessage{}}, nil
	}
	if err != nil {
		return vaultDoc{}, fmt.Errorf("vault: %w", err)
	}
	if c := f.cached; c != nil && sameVersion(c.stat, fi) {
		return cloneDoc(c.doc), nil
	}
	if x := f.failed; x != nil && sameVersion(x.stat, fi) && x.pass == f.pass.version() {
		return vaultDoc{}, x.err
	}
	// Before any prompt: a FIFO would block the read for ever.
	if err := regularfile.Check(f.path, "vault", fi); err != nil {
		return vaultDoc{}, err
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return vaultDoc{}, fmt.Errorf("vault %s is writable by group or others (mode %04o), refusing to use it\nfix: chmod 600 %s", f.path, m, f.path)
	}
	// Another user who can swap the vault or a directory above it, or who
	// owns it, could delete the keys or plant a vault of theirs.
	if err := trustpath.Check(f.path, "vault"); err != nil {
		return vaultDoc{}, err
	}
	if fi.Size() > maxVaultSize {
		return vaultDoc{}, fmt.Errorf("vault %s is larger than %d MiB: that is not a keywarden vault, check vault in the config", f.path, maxVaultSize>>20)
	}
	ciphertext, err := readVault(f.path)
	if err != nil {
		return vaultDoc{}, err
	}
	if doc, ok := unlockedDoc(f.path, ciphertext); ok {
		f.cached, f.failed = &vaultCache{stat: fi, doc: doc}, nil
		return cloneDoc(doc), nil
	}
	version := f.pass.version()
	pass, err := f.pass.get(false)
	if err != nil {
		return vaultDoc{}, err
	}
	doc, err := decryptVault(f.path, ciphertext, pass)
	if errors.Is(err, ErrWrongPassphrase) {
		f.failed = &vaultFailure{stat: fi, pass: version, err: err}
	}
	if err != nil {
		return vaultDoc{}, err
	}
	f.cached, f.failed = &vaultCache{stat: fi, doc: doc}, nil
	return cloneDoc(doc), nil
}

// readVault reads the vault file, refusing anything swapped in since the
// stat that is not a regular file, and no more than maxVaultSize.
func readVault(path string) ([]byte, error) {
	f, err := regularfile.Open(path, "vault")
	if errors.Is(err, regularfile.ErrNotRegular) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVaultSize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if len(data) > maxVaultSize {
		return nil, fmt.Errorf("vault %s is larger than %d MiB: that is not a keywarden vault, check vault in the config", path, maxVaultSize>>20)
	}
	return data, nil
}

// sameVersion reports whether two stats of the vault path show the same
// file: a replace makes a new inode, an edit in place a new size or time.
func sameVersion(a, b fs.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func cloneDoc(d vaultDoc) vaultDoc {
	items := make(map[string]json.RawMessage, len(d.Items))
	for k, v := range d.Items {
		items[k] = v
	}
	return vaultDoc{Version: d.Version, Items: items}
}

func decryptVault(path string, ciphertext []byte, pass Secret) (vaultDoc, error) {
	sid, err := age.NewScryptIdentity(pass.Reveal())
	if err != nil {
		return vaultDoc{}, fmt.Errorf("vault passphrase: %w", err)
	}
	id := &rememberIdentity{Identity: sid}
	doc, err := decryptWith(path, ciphertext, id)
	if err == nil {
		rememberUnlock(path, id.key)
	}
	// scrypt's 32 MiB are garbage now: hand them back to the OS at once
	// rather than when the runtime's scavenger gets to it, so a command
	// that opened the vault cold stays small beside the bot.
	debug.FreeOSMemory()
	return doc, err
}

// decryptWith decrypts and parses the vault with id.
func decryptWith(path string, ciphertext []byte, id age.Identity) (vaultDoc, error) {
	r, err := age.Decrypt(bytes.NewReader(ciphertext), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return vaultDoc{}, fmt.Errorf("%w for vault %s: nothing was read or changed; check passphrase_file or $CREDENTIALS_DIRECTORY/keywarden-passphrase", ErrWrongPassphrase, path)
		}
		return vaultDoc{}, fmt.Errorf("vault %s cannot be decrypted (%s): restore it from a backup or move it away and import the keys again", path, unquoted(err))
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return vaultDoc{}, fmt.Errorf("vault %s is damaged (%v): restore it from a backup", path, err)
	}
	var doc vaultDoc
	if err := json.Unmarshal(plain, &doc); err != nil || doc.Version != vaultVersion {
		return vaultDoc{}, fmt.Errorf("vault %s holds an unknown format (version %d): upgrade keywarden", path, doc.Version)
	}
	if doc.Items == nil {
		doc.Items = map[string]json.RawMessage{}
	}
	return doc, nil
}

// quotedText matches the "..." in which age's header errors quote the file.
var quotedText = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// unquoted is err's text without the file content age quotes in it: a
// damaged or plaintext vault must not be printed, even in part.
func unquoted(err error) string {
	return quotedText.ReplaceAllString(err.Error(), `"…"`)
}

// ErrWrongPassphrase is returned (wrapped) when the vault passphrase does
// not decrypt the vault. Nothing is changed in that case.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// update runs change on the freshly read vault under the exclusive lock and
// writes the result atomically.
func (f *fileStore) update(ctx context.Context, change func(*vaultDoc) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("creating vault directory: %w", err)
	}
	// A symlinked vault is written where it points, and locked there, so
	// every path to one vault shares one lock.
	target, err := atomicfile.Target(f.path)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	// Someone else able to open the lock could hold it for ever.
	if err := trustpath.Lock(target+".lock", "vault lock"); err != nil {
		return err
	}
	unlock, err := atomicfile.Lock(ctx, target+".lock", lockWait)
	if errors.Is(err, atomicfile.ErrBusy) {
		return fmt.Errorf("vault is locked by another keywarden process (%s): try again when it has finished: %w", f.path, err)
	} else if err != nil {
		return fmt.Errorf("locking vault: %w", err)
	}
	defer unlock()
	// Only the lock holder writes temp files, so any present now are stale.
	atomicfile.RemoveStaleTemps(target)
	_, statErr := os.Stat(f.path)
	creating := errors.Is(statErr, fs.ErrNotExist)
	doc, err := f.readLocked()
	if err != nil {
		return err
	}
	if err := change(&doc); err != nil {
		return err
	}
	pass, err := f.pass.get(creating)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	rcp, err := age.NewScryptRecipient(pass.Reveal())
	if err != nil {
		return fmt.Errorf("vault passphrase: %w", err)
	}
	rcp.SetWorkFactor(f.workFactor)
	remember := &rememberRecipient{ScryptRecipient: rcp}
	w, err := age.Encrypt(&buf, remember)
	if err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypting vault: %w", err)
	}
	if err := atomicfile.Write(target, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing vault: %w", err)
	}
	rememberUnlock(f.path, remember.key)
	f.cached = nil
	if fi, err := os.Stat(f.path); err == nil {
		f.cached = &vaultCache{stat: fi, doc: cloneDoc(doc)}
	}
	return nil
}

// lockWait bounds the wait for another keywarden's lock when ctx has no
// deadline.
const lockWait = 30 * time.Second
