// Package storage is a stand-in for cloud.google.com/go/storage, backed by an
// in-memory object store shared by every client in the process.
//
// Stand-in behaviour: every live Client, Reader and open Writer holds one
// goroutine until it is closed; a Client keeps the context it was created
// with, and once that context is done its calls fail with "storage: client
// creation context canceled". Writing an object creates its bucket.
package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"standins.test/shared/life"
)

var (
	// ErrBucketNotExist indicates that the bucket does not exist.
	ErrBucketNotExist = errors.New("storage: bucket doesn't exist")
	// ErrObjectNotExist indicates that the object does not exist.
	ErrObjectNotExist = errors.New("storage: object doesn't exist")

	errClosed = errors.New("storage: client is closed")
)

var clients, readers, writers life.Counter

// OpenClients reports how many clients are built and not yet closed.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients NewClient has built.
func Constructed() int64 { return clients.Made() }

// OpenReaders reports how many Readers are not yet closed.
func OpenReaders() int64 { return readers.Open() }

// OpenWriters reports how many Writers were written to and not yet closed.
func OpenWriters() int64 { return writers.Open() }

type object struct {
	data        []byte
	contentType string
	metadata    map[string]string
	created     time.Time
}

var store = struct {
	sync.Mutex
	buckets map[string]*BucketAttrs
	objects map[string]map[string]*object
}{buckets: map[string]*BucketAttrs{}, objects: map[string]map[string]*object{}}

// Client is a client for Cloud Storage. It is safe for concurrent use and
// meant to be built once and reused.
type Client struct {
	h *life.Handle
}

// NewClient creates a new Google Cloud Storage client.
func NewClient(ctx context.Context, opts ...option.ClientOption) (*Client, error) {
	if err := life.Dial(ctx, "storage"); err != nil {
		return nil, err
	}
	return &Client{h: life.Start(&clients, "storage", ctx)}, nil
}

// Close closes the Client. Closing twice is harmless.
func (c *Client) Close() error {
	c.h.Release()
	return nil
}

// Bucket returns a BucketHandle, which provides operations on the named
// bucket. It does not contact the service.
func (c *Client) Bucket(name string) *BucketHandle {
	return &BucketHandle{c: c, name: name}
}

// Buckets returns an iterator over the buckets in the project.
func (c *Client) Buckets(ctx context.Context, projectID string) *BucketIterator {
	return &BucketIterator{c: c, ctx: ctx}
}

// BucketHandle provides operations on a bucket.
type BucketHandle struct {
	c    *Client
	name string
}

// BucketAttrs represents the metadata of a bucket.
type BucketAttrs struct {
	Name     string
	Location string
	Created  time.Time
	Labels   map[string]string
}

// ObjectAttrs represents the metadata of an object.
type ObjectAttrs struct {
	Bucket      string
	Name        string
	ContentType string
	Size        int64
	Created     time.Time
	Updated     time.Time
	Metadata    map[string]string
}

// Create creates the bucket in the project.
func (b *BucketHandle) Create(ctx context.Context, projectID string, attrs *BucketAttrs) error {
	if err := b.c.h.Check(ctx, errClosed); err != nil {
		return err
	}
	store.Lock()
	defer store.Unlock()
	if _, ok := store.buckets[b.name]; ok {
		return fmt.Errorf("storage: bucket %q already exists", b.name)
	}
	a := BucketAttrs{}
	if attrs != nil {
		a = *attrs
	}
	a.Name, a.Created = b.name, time.Now()
	store.buckets[b.name] = &a
	store.objects[b.name] = map[string]*object{}
	return nil
}

// Attrs returns the metadata for the bucket.
func (b *BucketHandle) Attrs(ctx context.Context) (*BucketAttrs, error) {
	if err := b.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	a, ok := store.buckets[b.name]
	if !ok {
		return nil, ErrBucketNotExist
	}
	cp := *a
	return &cp, nil
}

// Object returns an ObjectHandle for the named object. It does not contact
// the service.
func (b *BucketHandle) Object(name string) *ObjectHandle {
	return &ObjectHandle{c: b.c, bucket: b.name, name: name}
}

// Query selects objects by name prefix.
type Query struct {
	Prefix    string
	Delimiter string
}

// Objects returns an iterator over the objects in the bucket that match q
// (nil matches all).
func (b *BucketHandle) Objects(ctx context.Context, q *Query) *ObjectIterator {
	return &ObjectIterator{b: b, ctx: ctx, q: q}
}

// ObjectHandle provides operations on an object.
type ObjectHandle struct {
	c      *Client
	bucket string
	name   string
}

// ObjectName returns the name of the object.
func (o *ObjectHandle) ObjectName() string { return o.name }

// BucketName returns the name of the bucket.
func (o *ObjectHandle) BucketName() string { return o.bucket }

func (o *ObjectHandle) lookup(ctx context.Context) (*object, error) {
	if err := o.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	objs, ok := store.objects[o.bucket]
	if !ok {
		return nil, ErrBucketNotExist
	}
	obj, ok := objs[o.name]
	if !ok {
		return nil, ErrObjectNotExist
	}
	return obj, nil
}

func (o *ObjectHandle) attrs(obj *object) *ObjectAttrs {
	return &ObjectAttrs{Bucket: o.bucket, Name: o.name, ContentType: obj.contentType,
		Size: int64(len(obj.data)), Created: obj.created, Updated: obj.created, Metadata: obj.metadata}
}

// Attrs returns the metadata of the object.
func (o *ObjectHandle) Attrs(ctx context.Context) (*ObjectAttrs, error) {
	obj, err := o.lookup(ctx)
	if err != nil {
		return nil, err
	}
	return o.attrs(obj), nil
}

// Delete deletes the object.
func (o *ObjectHandle) Delete(ctx context.Context) error {
	if _, err := o.lookup(ctx); err != nil {
		return err
	}
	store.Lock()
	defer store.Unlock()
	delete(store.objects[o.bucket], o.name)
	return nil
}

// ReaderOption is an option for NewReader.
type ReaderOption interface{ readerOption() }

// ReaderObjectAttrs are the attributes of the object a Reader reads.
type ReaderObjectAttrs struct {
	Size         int64
	ContentType  string
	LastModified time.Time
}

// NewReader creates a new Reader to read the contents of the object. The
// caller must call Close on the returned Reader.
func (o *ObjectHandle) NewReader(ctx context.Context, opts ...ReaderOption) (*Reader, error) {
	obj, err := o.lookup(ctx)
	if err != nil {
		return nil, err
	}
	return &Reader{
		Attrs: ReaderObjectAttrs{Size: int64(len(obj.data)), ContentType: obj.contentType, LastModified: obj.created},
		r:     bytes.NewReader(obj.data),
		h:     life.Start(&readers, "storage", nil),
	}, nil
}

// Reader reads the contents of an object. It must be closed.
type Reader struct {
	Attrs ReaderObjectAttrs
	r     *bytes.Reader
	h     *life.Handle
}

// Read reads the object's contents.
func (r *Reader) Read(p []byte) (int, error) {
	if r.h.Released() {
		return 0, errors.New("http: read on closed response body")
	}
	return r.r.Read(p)
}

// Close closes the Reader. Closing twice is harmless.
func (r *Reader) Close() error {
	r.h.Release()
	return nil
}

// Remain returns the number of bytes left to read.
func (r *Reader) Remain() int64 { return int64(r.r.Len()) }

// Size returns the size of the object in bytes.
func (r *Reader) Size() int64 { return r.Attrs.Size }

// ContentType returns the content type of the object.
func (r *Reader) ContentType() string { return r.Attrs.ContentType }

// NewWriter returns a storage Writer that writes to the object. The object
// is not created until Close returns nil. Set ObjectAttrs fields on the
// Writer before the first Write.
func (o *ObjectHandle) NewWriter(ctx context.Context) *Writer {
	return &Writer{ObjectAttrs: ObjectAttrs{Bucket: o.bucket, Name: o.name}, o: o, ctx: ctx}
}

// Writer writes an object. Like the real one, it starts a goroutine on the
// first Write that lives until Close.
type Writer struct {
	ObjectAttrs

	o      *ObjectHandle
	ctx    context.Context
	buf    bytes.Buffer
	h      *life.Handle
	closed bool
	attrs  *ObjectAttrs
}

// Write appends to the object's contents.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("storage: Writer is closed")
	}
	if err := w.o.c.h.Check(w.ctx, errClosed); err != nil {
		return 0, err
	}
	if w.h == nil {
		w.h = life.Start(&writers, "storage", nil)
	}
	return w.buf.Write(p)
}

// Close completes the write and creates the object.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.h != nil {
		w.h.Release()
	}
	if err := w.o.c.h.Check(w.ctx, errClosed); err != nil {
		return err
	}
	obj := &object{data: bytes.Clone(w.buf.Bytes()), contentType: w.ContentType, metadata: w.Metadata, created: time.Now()}
	if obj.data == nil {
		obj.data = []byte{}
	}
	store.Lock()
	defer store.Unlock()
	if _, ok := store.buckets[w.o.bucket]; !ok {
		store.buckets[w.o.bucket] = &BucketAttrs{Name: w.o.bucket, Created: obj.created}
		store.objects[w.o.bucket] = map[string]*object{}
	}
	store.objects[w.o.bucket][w.o.name] = obj
	w.attrs = w.o.attrs(obj)
	return nil
}

// Attrs returns metadata about a successfully written object.
func (w *Writer) Attrs() *ObjectAttrs { return w.attrs }

// BucketIterator is an iterator over BucketAttrs.
type BucketIterator struct {
	c     *Client
	ctx   context.Context
	items []*BucketAttrs
	init  bool
}

// Next returns the next bucket, or iterator.Done.
func (it *BucketIterator) Next() (*BucketAttrs, error) {
	if err := it.c.h.Check(it.ctx, errClosed); err != nil {
		return nil, err
	}
	if !it.init {
		it.init = true
		store.Lock()
		for _, a := range store.buckets {
			cp := *a
			it.items = append(it.items, &cp)
		}
		store.Unlock()
		sort.Slice(it.items, func(i, j int) bool { return it.items[i].Name < it.items[j].Name })
	}
	if len(it.items) == 0 {
		return nil, iterator.Done
	}
	a := it.items[0]
	it.items = it.items[1:]
	return a, nil
}

// ObjectIterator is an iterator over ObjectAttrs.
type ObjectIterator struct {
	b     *BucketHandle
	ctx   context.Context
	q     *Query
	items []*ObjectAttrs
	init  bool
}

// Next returns the next object, or iterator.Done.
func (it *ObjectIterator) Next() (*ObjectAttrs, error) {
	if err := it.b.c.h.Check(it.ctx, errClosed); err != nil {
		return nil, err
	}
	if !it.init {
		it.init = true
		store.Lock()
		objs, ok := store.objects[it.b.name]
		for name, obj := range objs {
			if it.q == nil || strings.HasPrefix(name, it.q.Prefix) {
				it.items = append(it.items, it.b.Object(name).attrs(obj))
			}
		}
		store.Unlock()
		if !ok {
			return nil, ErrBucketNotExist
		}
		sort.Slice(it.items, func(i, j int) bool { return it.items[i].Name < it.items[j].Name })
	}
	if len(it.items) == 0 {
		return nil, iterator.Done
	}
	a := it.items[0]
	it.items = it.items[1:]
	return a, nil
}
