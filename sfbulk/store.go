package sfbulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/navsync/navsync/internal/atomicfile"
)

// TokenStore keeps one user's token between runs.
type TokenStore interface {
	// Load returns the stored token, or an error wrapping ErrNoToken.
	Load(ctx context.Context) (*Token, error)
	// Save replaces the stored token.
	Save(ctx context.Context, t *Token) error
}

// FileTokenStore keeps a token as JSON in a file of mode 0600. Saves are
// atomic (temporary file in the same directory, fsync, rename), and a file
// readable or writable by group or others is refused.
type FileTokenStore struct {
	Path string
	mu   sync.Mutex
}

// NewFileTokenStore returns a store at path; the file need not exist yet.
func NewFileTokenStore(path string) *FileTokenStore { return &FileTokenStore{Path: path} }

// Load reads the token, refusing a file with group or other permissions.
func (s *FileTokenStore) Load(context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.Open(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("token store %s: %w", s.Path, ErrNoToken)
	}
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("token store %s has mode %v (chmod 600 it): %w", s.Path, fi.Mode().Perm(), ErrTokenStoreInsecure)
	}
	var t Token
	if err := json.NewDecoder(f).Decode(&t); err != nil {
		return nil, fmt.Errorf("token store %s: %w", s.Path, err)
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, fmt.Errorf("token store %s is empty: %w", s.Path, ErrNoToken)
	}
	return &t, nil
}

// Save writes the token atomically with mode 0600.
func (s *FileTokenStore) Save(_ context.Context, t *Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("token store dir: %w", err)
	}
	if err := atomicfile.WriteBytes(s.Path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	return nil
}

// UserTokenStore is the FileTokenStore of one user in dir: the file name is
// the username made safe for any file system (letters, digits, '.', '-',
// '_' and '@' kept, every other byte hex-escaped), plus ".json".
func UserTokenStore(dir, username string) *FileTokenStore {
	var b strings.Builder
	for i := 0; i < len(username); i++ {
		c := username[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '@',
			c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return NewFileTokenStore(filepath.Join(dir, b.String()+".json"))
}

// MemoryTokenStore keeps a token in memory (tests, short-lived tools).
type MemoryTokenStore struct {
	mu sync.Mutex
	t  *Token
	// Saves counts Save calls.
	Saves int
}

// NewMemoryTokenStore returns a store holding t (which may be nil).
func NewMemoryTokenStore(t *Token) *MemoryTokenStore { return &MemoryTokenStore{t: t} }

// Load returns a copy of the token.
func (m *MemoryTokenStore) Load(context.Context) (*Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.t == nil {
		return nil, ErrNoToken
	}
	c := *m.t
	return &c, nil
}

// Save replaces the token.
func (m *MemoryTokenStore) Save(_ context.Context, t *Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *t
	m.t = &c
	m.Saves++
	return nil
}
