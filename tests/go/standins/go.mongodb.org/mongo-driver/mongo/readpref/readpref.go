// Package readpref is a stand-in for
// go.mongodb.org/mongo-driver/mongo/readpref.
package readpref

// ReadPref says which servers to read from.
type ReadPref struct{ mode string }

// Primary reads from the primary.
func Primary() *ReadPref { return &ReadPref{"primary"} }

// PrimaryPreferred reads from the primary if it is available.
func PrimaryPreferred() *ReadPref { return &ReadPref{"primaryPreferred"} }

// Secondary reads from a secondary.
func Secondary() *ReadPref { return &ReadPref{"secondary"} }

// Nearest reads from the nearest server.
func Nearest() *ReadPref { return &ReadPref{"nearest"} }
