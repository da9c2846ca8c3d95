//go:build !linux

package datapath

// SyncL2Responders needs Linux: off Linux it returns an error wrapping
// errors.ErrUnsupported.
func (d *Datapath) SyncL2Responders(rs []L2Responder) (SyncStats, error) {
	return SyncStats{}, errNotLinux("sync L2 responders")
}

// L2Responders needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) L2Responders() ([]L2Responder, error) {
	return nil, errNotLinux("read L2 responders")
}
