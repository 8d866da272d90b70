// Package iterator is a stand-in for google.golang.org/api/iterator.
package iterator

import "errors"

// Done is returned by an iterator's Next method when the iteration is
// complete.
var Done = errors.New("no more items in iterator")
