//go:build !linux

package l2

import (
	"errors"
	"fmt"
	"runtime"
)

// newLink needs Linux packet sockets: elsewhere it returns an error wrapping
// errors.ErrUnsupported.
func newLink() (link, error) {
	return nil, fmt.Errorf("l2: announcer on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
