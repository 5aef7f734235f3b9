//go:build !unix

package report

import "os"

// lockStore only creates the lock file here: this system has no advisory
// lock navsync uses, so two runs writing to one folder are not kept apart.
func lockStore(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}
