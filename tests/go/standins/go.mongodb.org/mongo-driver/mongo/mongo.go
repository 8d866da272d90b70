// Package mongo is a stand-in for go.mongodb.org/mongo-driver/mongo (v1),
// backed by an in-memory document store shared by every client in the
// process.
//
// Stand-in behaviour: every connected Client and open Cursor holds one
// goroutine until Disconnect / Close (a Cursor is also released when Next
// runs out or All returns). Disconnecting twice returns
// ErrClientDisconnected, as the real driver does. Filters match by equality
// on top-level fields, or with $eq $ne $gt $gte $lt $lte; updates support
// $set and $inc. Structs use `bson:"name"` tags (default: lower-cased field
// name).
package mongo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"standins.test/shared/docmap"
	"standins.test/shared/life"
)

var (
	// ErrClientDisconnected is returned by calls on a disconnected client.
	ErrClientDisconnected = errors.New("client is disconnected")
	// ErrNoDocuments is returned by SingleResult when nothing matched.
	ErrNoDocuments = errors.New("mongo: no documents in result")
	// ErrNilDocument is returned when a nil document is given.
	ErrNilDocument = errors.New("document is nil")
)

var clients, cursors life.Counter

// OpenClients reports how many clients are connected and not disconnected.
func OpenClients() int64 { return clients.Open() }

// Constructed reports how many clients have connected.
func Constructed() int64 { return clients.Made() }

// OpenCursors reports how many Cursors are not closed or exhausted.
func OpenCursors() int64 { return cursors.Open() }

type document = map[string]interface{}

var store = struct {
	sync.Mutex
	colls map[string][]document // by "db.collection"
}{colls: map[string][]document{}}

// Client is a MongoDB client. It is safe for concurrent use and meant to be
// built once and reused; it must be disconnected.
type Client struct {
	mu  sync.Mutex
	h   *life.Handle
	uri string
}

// Connect creates a client and connects it.
func Connect(ctx context.Context, opts ...*options.ClientOptions) (*Client, error) {
	c, err := NewClient(opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// NewClient creates a client that is not yet connected.
//
// Deprecated: use Connect.
func NewClient(opts ...*options.ClientOptions) (*Client, error) {
	uri := "mongodb://localhost:27017"
	for _, o := range opts {
		if o != nil && o.URI != "" {
			uri = o.URI
		}
	}
	if !strings.HasPrefix(uri, "mongodb://") && !strings.HasPrefix(uri, "mongodb+srv://") {
		return nil, fmt.Errorf(`error parsing uri: scheme must be "mongodb" or "mongodb+srv"`)
	}
	return &Client{uri: uri}, nil
}

// Connect connects the client.
func (c *Client) Connect(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("server selection error: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h != nil {
		return errors.New("topology is connected or connecting")
	}
	c.h = life.Start(&clients, "mongo", nil)
	return nil
}

// Disconnect closes the client's connections.
func (c *Client) Disconnect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil || !c.h.Release() {
		return ErrClientDisconnected
	}
	return nil
}

func (c *Client) check(ctx context.Context) error {
	c.mu.Lock()
	h := c.h
	c.mu.Unlock()
	if h == nil {
		return ErrClientDisconnected
	}
	return h.Check(ctx, ErrClientDisconnected)
}

// Ping checks that the server is reachable.
func (c *Client) Ping(ctx context.Context, rp *readpref.ReadPref) error { return c.check(ctx) }

// Database returns a handle for the database.
func (c *Client) Database(name string, opts ...*options.DatabaseOptions) *Database {
	return &Database{c: c, name: name}
}

// Database is a handle for a database.
type Database struct {
	c    *Client
	name string
}

// Name returns the database's name.
func (db *Database) Name() string { return db.name }

// Client returns the database's client.
func (db *Database) Client() *Client { return db.c }

// Collection returns a handle for the collection.
func (db *Database) Collection(name string, opts ...*options.CollectionOptions) *Collection {
	return &Collection{db: db, name: name, key: db.name + "." + name}
}

// Collection is a handle for a collection.
type Collection struct {
	db   *Database
	name string
	key  string
}

// Name returns the collection's name.
func (coll *Collection) Name() string { return coll.name }

// Database returns the collection's database.
func (coll *Collection) Database() *Database { return coll.db }

func toDoc(v interface{}) (document, error) {
	if v == nil {
		return nil, ErrNilDocument
	}
	if d, ok := v.(primitive.D); ok {
		m := make(document, len(d))
		for _, e := range d {
			m[e.Key] = e.Value
		}
		return m, nil
	}
	return docmap.ToMap(v, "bson")
}

// InsertOneResult is the result of InsertOne.
type InsertOneResult struct {
	InsertedID interface{}
}

// InsertOne inserts a document, giving it an ObjectID _id if it has none.
func (coll *Collection) InsertOne(ctx context.Context, document interface{}, opts ...*options.InsertOneOptions) (*InsertOneResult, error) {
	if err := coll.db.c.check(ctx); err != nil {
		return nil, err
	}
	doc, err := toDoc(document)
	if err != nil {
		return nil, err
	}
	if id, ok := doc["_id"]; !ok || id == nil || id == primitive.NilObjectID {
		doc["_id"] = primitive.NewObjectID()
	}
	store.Lock()
	defer store.Unlock()
	for _, d := range store.colls[coll.key] {
		if equalValues(d["_id"], doc["_id"]) {
			return nil, fmt.Errorf("E11000 duplicate key error collection: %s index: _id_ dup key: { _id: %v }", coll.key, doc["_id"])
		}
	}
	store.colls[coll.key] = append(store.colls[coll.key], doc)
	return &InsertOneResult{InsertedID: doc["_id"]}, nil
}

// InsertManyResult is the result of InsertMany.
type InsertManyResult struct {
	InsertedIDs []interface{}
}

// InsertMany inserts documents.
func (coll *Collection) InsertMany(ctx context.Context, documents []interface{}, opts ...*options.InsertManyOptions) (*InsertManyResult, error) {
	res := &InsertManyResult{}
	for _, d := range documents {
		r, err := coll.InsertOne(ctx, d)
		if err != nil {
			return res, err
		}
		res.InsertedIDs = append(res.InsertedIDs, r.InsertedID)
	}
	return res, nil
}

// find returns copies of the matching documents.
func (coll *Collection) find(ctx context.Context, filter interface{}) ([]document, error) {
	if err := coll.db.c.check(ctx); err != nil {
		return nil, err
	}
	f, err := toDoc(filter)
	if err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	var out []document
	for _, d := range store.colls[coll.key] {
		if matches(d, f) {
			cp := make(document, len(d))
			for k, v := range d {
				cp[k] = v
			}
			out = append(out, cp)
		}
	}
	return out, nil
}

// FindOne returns the first matching document.
func (coll *Collection) FindOne(ctx context.Context, filter interface{}, opts ...*options.FindOneOptions) *SingleResult {
	docs, err := coll.find(ctx, filter)
	if err == nil && len(docs) == 0 {
		err = ErrNoDocuments
	}
	if err != nil {
		return &SingleResult{err: err}
	}
	return &SingleResult{doc: docs[0]}
}

// Find returns a cursor over the matching documents. It must be closed
// unless it is read to the end.
func (coll *Collection) Find(ctx context.Context, filter interface{}, opts ...*options.FindOptions) (*Cursor, error) {
	docs, err := coll.find(ctx, filter)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		if o != nil && o.Limit != nil && *o.Limit > 0 && int(*o.Limit) < len(docs) {
			docs = docs[:*o.Limit]
		}
	}
	return &Cursor{c: coll.db.c, docs: docs, h: life.Start(&cursors, "mongo", nil)}, nil
}

// CountDocuments counts the matching documents.
func (coll *Collection) CountDocuments(ctx context.Context, filter interface{}, opts ...*options.CountOptions) (int64, error) {
	docs, err := coll.find(ctx, filter)
	return int64(len(docs)), err
}

// DeleteResult is the result of a delete.
type DeleteResult struct {
	DeletedCount int64
}

func (coll *Collection) delete(ctx context.Context, filter interface{}, limit int) (*DeleteResult, error) {
	if err := coll.db.c.check(ctx); err != nil {
		return nil, err
	}
	f, err := toDoc(filter)
	if err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	res := &DeleteResult{}
	kept := store.colls[coll.key][:0]
	for _, d := range store.colls[coll.key] {
		if (limit == 0 || res.DeletedCount < int64(limit)) && matches(d, f) {
			res.DeletedCount++
			continue
		}
		kept = append(kept, d)
	}
	store.colls[coll.key] = kept
	return res, nil
}

// DeleteOne deletes the first matching document.
func (coll *Collection) DeleteOne(ctx context.Context, filter interface{}, opts ...*options.DeleteOptions) (*DeleteResult, error) {
	return coll.delete(ctx, filter, 1)
}

// DeleteMany deletes every matching document.
func (coll *Collection) DeleteMany(ctx context.Context, filter interface{}, opts ...*options.DeleteOptions) (*DeleteResult, error) {
	return coll.delete(ctx, filter, 0)
}

// UpdateResult is the result of an update.
type UpdateResult struct {
	MatchedCount  int64
	ModifiedCount int64
	UpsertedCount int64
	UpsertedID    interface{}
}

// UpdateOne applies update ($set, $inc) to the first matching document.
func (coll *Collection) UpdateOne(ctx context.Context, filter interface{}, update interface{}, opts ...*options.UpdateOptions) (*UpdateResult, error) {
	if err := coll.db.c.check(ctx); err != nil {
		return nil, err
	}
	f, err := toDoc(filter)
	if err != nil {
		return nil, err
	}
	u, err := toDoc(update)
	if err != nil {
		return nil, err
	}
	store.Lock()
	defer store.Unlock()
	res := &UpdateResult{}
	var target document
	for _, d := range store.colls[coll.key] {
		if matches(d, f) {
			target = d
			res.MatchedCount, res.ModifiedCount = 1, 1
			break
		}
	}
	if target == nil {
		upsert := false
		for _, o := range opts {
			upsert = upsert || (o != nil && o.Upsert != nil && *o.Upsert)
		}
		if !upsert {
			return res, nil
		}
		target = document{"_id": primitive.NewObjectID()}
		for k, v := range f {
			if !isOperator(v) {
				target[k] = v
			}
		}
		store.colls[coll.key] = append(store.colls[coll.key], target)
		res.UpsertedCount, res.UpsertedID = 1, target["_id"]
	}
	for op, arg := range u {
		fields, err := toDoc(arg)
		if err != nil {
			return nil, err
		}
		for k, v := range fields {
			switch op {
			case "$set":
				target[k] = v
			case "$inc":
				a, _ := toFloat(target[k])
				b, _ := toFloat(v)
				if (target[k] == nil || isInt(target[k])) && isInt(v) {
					target[k] = int64(a + b)
				} else {
					target[k] = a + b
				}
			default:
				return nil, fmt.Errorf("stand-in does not support update operator %q", op)
			}
		}
	}
	return res, nil
}

func isInt(v interface{}) bool {
	switch v.(type) {
	case int, int32, int64:
		return true
	}
	return false
}

func isOperator(v interface{}) bool {
	m, err := toDoc(v)
	if err != nil || reflect.ValueOf(v).Kind() == reflect.Struct {
		return false
	}
	for k := range m {
		return strings.HasPrefix(k, "$")
	}
	return false
}

func matches(d, filter document) bool {
	for k, want := range filter {
		got := d[k]
		if !isOperator(want) {
			if !equalValues(got, want) {
				return false
			}
			continue
		}
		ops, _ := toDoc(want)
		for op, arg := range ops {
			a, aok := toFloat(got)
			b, bok := toFloat(arg)
			var ok bool
			switch op {
			case "$eq":
				ok = equalValues(got, arg)
			case "$ne":
				ok = !equalValues(got, arg)
			case "$gt":
				ok = aok && bok && a > b
			case "$gte":
				ok = aok && bok && a >= b
			case "$lt":
				ok = aok && bok && a < b
			case "$lte":
				ok = aok && bok && a <= b
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func toFloat(v interface{}) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

func equalValues(a, b interface{}) bool {
	if x, ok := toFloat(a); ok {
		y, ok := toFloat(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

// SingleResult is the result of FindOne.
type SingleResult struct {
	err error
	doc document
}

// Err returns the error of the find, ErrNoDocuments if nothing matched.
func (sr *SingleResult) Err() error { return sr.err }

// Decode stores the document into v: a pointer to a struct, bson.M or map.
func (sr *SingleResult) Decode(v interface{}) error {
	if sr.err != nil {
		return sr.err
	}
	return docmap.FromMap(sr.doc, v, "bson")
}

// Cursor iterates over documents. Close it unless Next returned false or
// All was called.
type Cursor struct {
	c    *Client
	docs []document
	cur  document
	h    *life.Handle
	err  error
}

// ID returns the cursor's ID (0 once exhausted).
func (c *Cursor) ID() int64 {
	if c.h.Released() {
		return 0
	}
	return 1
}

// Next moves to the next document and reports whether there is one.
func (c *Cursor) Next(ctx context.Context) bool {
	if c.h.Released() {
		return false
	}
	if c.err = c.c.check(ctx); c.err != nil || len(c.docs) == 0 {
		c.h.Release()
		return false
	}
	c.cur, c.docs = c.docs[0], c.docs[1:]
	return true
}

// TryNext is Next; the stand-in never has to wait.
func (c *Cursor) TryNext(ctx context.Context) bool { return c.Next(ctx) }

// Decode stores the current document into val.
func (c *Cursor) Decode(val interface{}) error {
	if c.cur == nil {
		return errors.New("cursor has no current document")
	}
	return docmap.FromMap(c.cur, val, "bson")
}

// Err returns the last error.
func (c *Cursor) Err() error { return c.err }

// RemainingBatchLength returns how many documents are left.
func (c *Cursor) RemainingBatchLength() int { return len(c.docs) }

// Close closes the cursor. Closing twice is harmless.
func (c *Cursor) Close(ctx context.Context) error {
	c.h.Release()
	return nil
}

// All decodes every remaining document into results, a pointer to a slice,
// and closes the cursor.
func (c *Cursor) All(ctx context.Context, results interface{}) error {
	defer c.h.Release()
	rv := reflect.ValueOf(results)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Slice {
		return errors.New("results argument must be a pointer to a slice")
	}
	if err := c.c.check(ctx); err != nil {
		return err
	}
	s := rv.Elem().Slice(0, 0)
	elem := s.Type().Elem()
	for _, d := range c.docs {
		if elem.Kind() == reflect.Pointer {
			e := reflect.New(elem.Elem())
			if err := docmap.FromMap(d, e.Interface(), "bson"); err != nil {
				return err
			}
			s = reflect.Append(s, e)
			continue
		}
		e := reflect.New(elem)
		if err := docmap.FromMap(d, e.Interface(), "bson"); err != nil {
			return err
		}
		s = reflect.Append(s, e.Elem())
	}
	c.docs = nil
	rv.Elem().Set(s)
	return nil
}
