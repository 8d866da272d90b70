// Package primitive is a stand-in for
// go.mongodb.org/mongo-driver/bson/primitive.
package primitive

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"time"
)

// M is an unordered document.
type M map[string]interface{}

// E is one element of a D.
type E struct {
	Key   string
	Value interface{}
}

// D is an ordered document.
type D []E

// A is an array.
type A []interface{}

// ObjectID is a 12-byte document ID.
type ObjectID [12]byte

// NilObjectID is the zero ObjectID.
var NilObjectID ObjectID

var counter atomic.Uint32
var process [5]byte

func init() { _, _ = rand.Read(process[:]) }

// NewObjectID returns a new unique ObjectID.
func NewObjectID() ObjectID {
	var id ObjectID
	binary.BigEndian.PutUint32(id[:4], uint32(time.Now().Unix()))
	copy(id[4:9], process[:])
	n := counter.Add(1)
	id[9], id[10], id[11] = byte(n>>16), byte(n>>8), byte(n)
	return id
}

// Hex returns the ID as 24 hex digits.
func (id ObjectID) Hex() string { return hex.EncodeToString(id[:]) }

func (id ObjectID) String() string { return `ObjectID("` + id.Hex() + `")` }

// IsZero reports whether id is NilObjectID.
func (id ObjectID) IsZero() bool { return id == NilObjectID }

// ObjectIDFromHex parses 24 hex digits.
func ObjectIDFromHex(s string) (ObjectID, error) {
	var id ObjectID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 12 {
		return NilObjectID, errors.New("the provided hex string is not a valid ObjectID")
	}
	copy(id[:], b)
	return id, nil
}
