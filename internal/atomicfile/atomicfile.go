// Package atomicfile writes a file whole or not at all: through a
// temporary file in the same folder, created with the final mode (a token
// is never readable by others, even for a moment), synced, renamed over
// the file, and the folder synced. A reader sees the old file or the new
// one; a crash or an error leaves the old one and no temporary file.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes path with mode perm, filled by fill.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // the rename itself; a folder that cannot sync loses nothing written
		d.Close()
	}
	return nil
}

// WriteBytes writes b to path with mode perm.
func WriteBytes(path string, b []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
