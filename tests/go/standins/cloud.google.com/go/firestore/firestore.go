// Package firestore is a stand-in for cloud.google.com/go/firestore, backed
// by an in-memory document store shared by every client in the process.
//
// Stand-in behaviour: every live Client and unfinished DocumentIterator holds
// one goroutine; a Client keeps the context it was created with, and once
// that context is done its calls fail with "firestore: client creation
// context canceled". Documents are stored as map[string]interface{}; structs
// are converted using `firestore:"name"` tags.
package firestore

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"standins.test/shared/docmap"
	"standins.test/shared/life"
)

var errClosed = errors.New("firestore: client is closed")

var clients, iterators life.Counter

// OpenClients reports how many clients are built and not yet closed.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients NewClient has built.
func Constructed() int64 { return clients.Made() }

// OpenIterators reports how many DocumentIterators are neither stopped nor
// exhausted.
func OpenIterators() int64 { return iterators.Open() }

type doc struct {
	data    map[string]interface{}
	created time.Time
	updated time.Time
}

var store = struct {
	sync.Mutex
	docs map[string]*doc // by path
}{docs: map[string]*doc{}}

// txMu serializes transactions.
var txMu sync.Mutex

// Client is a Firestore client. It is safe for concurrent use and meant to
// be built once and reused.
type Client struct {
	h *life.Handle
}

// NewClient creates a new Firestore client for the project.
func NewClient(ctx context.Context, projectID string, opts ...option.ClientOption) (*Client, error) {
	if err := life.Dial(ctx, "firestore"); err != nil {
		return nil, err
	}
	if projectID == "" {
		return nil, errors.New("firestore: projectID was empty")
	}
	return &Client{h: life.Start(&clients, "firestore", ctx)}, nil
}

// Close closes the client. Closing twice is harmless.
func (c *Client) Close() error {
	c.h.Release()
	return nil
}

// Collection returns a reference to the collection at path ("users" or
// "users/alice/orders").
func (c *Client) Collection(path string) *CollectionRef {
	parts := strings.Split(path, "/")
	if path == "" || len(parts)%2 == 0 {
		return nil
	}
	cr := &CollectionRef{c: c, ID: parts[len(parts)-1], Path: path}
	if len(parts) > 1 {
		cr.Parent = c.Doc(strings.Join(parts[:len(parts)-1], "/"))
	}
	cr.Query = Query{c: c, coll: path}
	return cr
}

// Doc returns a reference to the document at path ("users/alice").
func (c *Client) Doc(path string) *DocumentRef {
	i := strings.LastIndex(path, "/")
	if i < 0 {
		return nil
	}
	return c.Collection(path[:i]).Doc(path[i+1:])
}

// CollectionRef is a reference to a collection.
type CollectionRef struct {
	Query

	c      *Client
	Parent *DocumentRef
	ID     string
	Path   string
}

// Doc returns a reference to the document with the given ID.
func (cr *CollectionRef) Doc(id string) *DocumentRef {
	return &DocumentRef{c: cr.c, Parent: cr, ID: id, Path: cr.Path + "/" + id}
}

// NewDoc returns a reference to a document with a new random ID.
func (cr *CollectionRef) NewDoc() *DocumentRef {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = letters[rand.Intn(len(letters))]
	}
	return cr.Doc(string(b))
}

// Add creates a document with a new random ID.
func (cr *CollectionRef) Add(ctx context.Context, data interface{}) (*DocumentRef, *WriteResult, error) {
	d := cr.NewDoc()
	wr, err := d.Create(ctx, data)
	if err != nil {
		return nil, nil, err
	}
	return d, wr, nil
}

// DocumentRef is a reference to a document.
type DocumentRef struct {
	c      *Client
	Parent *CollectionRef
	ID     string
	Path   string
}

// Collection returns a reference to a sub-collection of the document.
func (d *DocumentRef) Collection(id string) *CollectionRef {
	return d.c.Collection(d.Path + "/" + id)
}

// WriteResult is the result of a write.
type WriteResult struct {
	UpdateTime time.Time
}

// SetOption is an option for Set.
type SetOption interface{ setOption() }

type mergeAll struct{}

func (mergeAll) setOption() {}

// MergeAll makes Set merge the given fields into the existing document.
var MergeAll SetOption = mergeAll{}

// Precondition is a condition on a write. The stand-in ignores them.
type Precondition interface{ precondition() }

// Update is one field change for DocumentRef.Update.
type Update struct {
	Path  string
	Value interface{}
}

// Create creates the document; it fails if the document exists.
func (d *DocumentRef) Create(ctx context.Context, data interface{}) (*WriteResult, error) {
	return d.write(ctx, data, false, true)
}

// Set creates or overwrites the document (or merges into it with MergeAll).
func (d *DocumentRef) Set(ctx context.Context, data interface{}, opts ...SetOption) (*WriteResult, error) {
	return d.write(ctx, data, len(opts) > 0, false)
}

func (d *DocumentRef) write(ctx context.Context, data interface{}, merge, create bool) (*WriteResult, error) {
	if err := d.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	m, err := docmap.ToMap(data, "firestore")
	if err != nil {
		return nil, fmt.Errorf("firestore: %w", err)
	}
	store.Lock()
	defer store.Unlock()
	return d.apply(m, merge, create)
}

// apply writes with store locked.
func (d *DocumentRef) apply(m map[string]interface{}, merge, create bool) (*WriteResult, error) {
	now := time.Now()
	old, exists := store.docs[d.Path]
	switch {
	case exists && create:
		return nil, fmt.Errorf("rpc error: code = AlreadyExists desc = Document already exists: %s", d.Path)
	case exists && merge:
		for k, v := range m {
			old.data[k] = v
		}
		old.updated = now
	case exists:
		old.data, old.updated = m, now
	default:
		store.docs[d.Path] = &doc{data: m, created: now, updated: now}
	}
	return &WriteResult{UpdateTime: now}, nil
}

// Update changes the given fields of an existing document.
func (d *DocumentRef) Update(ctx context.Context, updates []Update, preconds ...Precondition) (*WriteResult, error) {
	if err := d.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	if _, ok := store.docs[d.Path]; !ok {
		return nil, d.notFound()
	}
	m := map[string]interface{}{}
	for _, u := range updates {
		m[u.Path] = u.Value
	}
	return d.apply(m, true, false)
}

// Get retrieves the document. If it does not exist, Get returns a
// NotFound error and a snapshot whose Exists method reports false.
func (d *DocumentRef) Get(ctx context.Context) (*DocumentSnapshot, error) {
	if err := d.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	return d.snapshot()
}

// snapshot reads with store locked.
func (d *DocumentRef) snapshot() (*DocumentSnapshot, error) {
	dc, ok := store.docs[d.Path]
	if !ok {
		return &DocumentSnapshot{Ref: d, ReadTime: time.Now()}, d.notFound()
	}
	data := make(map[string]interface{}, len(dc.data))
	for k, v := range dc.data {
		data[k] = v
	}
	return &DocumentSnapshot{Ref: d, CreateTime: dc.created, UpdateTime: dc.updated, ReadTime: time.Now(), data: data}, nil
}

func (d *DocumentRef) notFound() error {
	return fmt.Errorf("rpc error: code = NotFound desc = %q not found", d.Path)
}

// Delete deletes the document. Deleting a missing document is not an error.
func (d *DocumentRef) Delete(ctx context.Context, preconds ...Precondition) (*WriteResult, error) {
	if err := d.c.h.Check(ctx, errClosed); err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	delete(store.docs, d.Path)
	return &WriteResult{UpdateTime: time.Now()}, nil
}

// DocumentSnapshot contains a document's data and metadata.
type DocumentSnapshot struct {
	Ref        *DocumentRef
	CreateTime time.Time
	UpdateTime time.Time
	ReadTime   time.Time
	data       map[string]interface{}
}

// Exists reports whether the document exists.
func (d *DocumentSnapshot) Exists() bool { return d != nil && d.data != nil }

// Data returns the document's fields, or nil if it does not exist.
func (d *DocumentSnapshot) Data() map[string]interface{} {
	if !d.Exists() {
		return nil
	}
	m := make(map[string]interface{}, len(d.data))
	for k, v := range d.data {
		m[k] = v
	}
	return m
}

// DataTo stores the document's fields into p, a pointer to a struct or map.
func (d *DocumentSnapshot) DataTo(p interface{}) error {
	if !d.Exists() {
		return errors.New("firestore: document does not exist")
	}
	return docmap.FromMap(d.data, p, "firestore")
}

// DataAt returns the value of one top-level field.
func (d *DocumentSnapshot) DataAt(path string) (interface{}, error) {
	v, ok := d.data[path]
	if !ok {
		return nil, fmt.Errorf("firestore: no field %q", path)
	}
	return v, nil
}

// Query selects documents of a collection.
type Query struct {
	c       *Client
	coll    string
	filters []filter
	limit   int
}

type filter struct {
	path  string
	op    string
	value interface{}
}

// Where returns a query that also requires field path to compare to value
// with op ("==" and "!=" are supported).
func (q Query) Where(path, op string, value interface{}) Query {
	q.filters = append(append([]filter(nil), q.filters...), filter{path, op, value})
	return q
}

// Limit returns a query that yields at most n documents.
func (q Query) Limit(n int) Query {
	q.limit = n
	return q
}

// Documents returns an iterator over the query's results. Call Stop when
// done unless Next returned iterator.Done.
func (q Query) Documents(ctx context.Context) *DocumentIterator {
	return &DocumentIterator{q: q, ctx: ctx, h: life.Start(&iterators, "firestore", nil)}
}

// DocumentIterator is an iterator over documents.
type DocumentIterator struct {
	q    Query
	ctx  context.Context
	h    *life.Handle
	docs []*DocumentSnapshot
	init bool
	err  error
}

// Next returns the next result; iterator.Done at the end.
func (it *DocumentIterator) Next() (*DocumentSnapshot, error) {
	if it.err != nil {
		return nil, it.err
	}
	if it.h.Released() {
		return nil, errors.New("firestore: iterator stopped")
	}
	if err := it.q.c.h.Check(it.ctx, errClosed); err != nil {
		it.err = err
		it.Stop()
		return nil, err
	}
	if !it.init {
		it.init = true
		it.load()
	}
	if len(it.docs) == 0 {
		it.err = iterator.Done
		it.Stop()
		return nil, iterator.Done
	}
	d := it.docs[0]
	it.docs = it.docs[1:]
	return d, nil
}

func (it *DocumentIterator) load() {
	store.Lock()
	defer store.Unlock()
	prefix := it.q.coll + "/"
	for path := range store.docs {
		id, ok := strings.CutPrefix(path, prefix)
		if !ok || strings.Contains(id, "/") {
			continue
		}
		s, _ := it.q.c.Collection(it.q.coll).Doc(id).snapshot()
		if matches(s.data, it.q.filters) {
			it.docs = append(it.docs, s)
		}
	}
	sort.Slice(it.docs, func(i, j int) bool { return it.docs[i].Ref.ID < it.docs[j].Ref.ID })
	if it.q.limit > 0 && len(it.docs) > it.q.limit {
		it.docs = it.docs[:it.q.limit]
	}
}

func matches(data map[string]interface{}, fs []filter) bool {
	for _, f := range fs {
		eq := fmt.Sprint(data[f.path]) == fmt.Sprint(f.value)
		if (f.op == "==") != eq {
			return false
		}
	}
	return true
}

// Stop releases the iterator's resources. Stopping twice is harmless.
func (it *DocumentIterator) Stop() { it.h.Release() }

// GetAll returns all remaining documents and stops the iterator.
func (it *DocumentIterator) GetAll() ([]*DocumentSnapshot, error) {
	defer it.Stop()
	var all []*DocumentSnapshot
	for {
		d, err := it.Next()
		if err == iterator.Done {
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, d)
	}
}

// TransactionOption is an option for RunTransaction.
type TransactionOption interface{ transactionOption() }

// Transaction is a Firestore transaction: reads see the store, writes are
// applied together when the function returns nil.
type Transaction struct {
	c      *Client
	ctx    context.Context
	writes []func() error
}

// RunTransaction runs f in a transaction. Transactions are serialized.
func (c *Client) RunTransaction(ctx context.Context, f func(context.Context, *Transaction) error, opts ...TransactionOption) error {
	if err := c.h.Check(ctx, errClosed); err != nil {
		return err
	}
	txMu.Lock()
	defer txMu.Unlock()
	t := &Transaction{c: c, ctx: ctx}
	if err := f(ctx, t); err != nil {
		return err
	}
	if err := c.h.Check(ctx, errClosed); err != nil {
		return err
	}
	store.Lock()
	defer store.Unlock()
	for _, w := range t.writes {
		if err := w(); err != nil {
			return err
		}
	}
	return nil
}

// Get reads a document in the transaction. Reads must come before writes.
func (t *Transaction) Get(dr *DocumentRef) (*DocumentSnapshot, error) {
	if len(t.writes) > 0 {
		return nil, errors.New("firestore: read after write in transaction")
	}
	return dr.Get(t.ctx)
}

// Set buffers a Set of the document.
func (t *Transaction) Set(dr *DocumentRef, data interface{}, opts ...SetOption) error {
	m, err := docmap.ToMap(data, "firestore")
	if err != nil {
		return fmt.Errorf("firestore: %w", err)
	}
	t.writes = append(t.writes, func() error {
		_, err := dr.apply(m, len(opts) > 0, false)
		return err
	})
	return nil
}

// Delete buffers a Delete of the document.
func (t *Transaction) Delete(dr *DocumentRef, opts ...Precondition) error {
	t.writes = append(t.writes, func() error {
		delete(store.docs, dr.Path)
		return nil
	})
	return nil
}
