// Package options is a stand-in for
// go.mongodb.org/mongo-driver/mongo/options.
package options

import "time"

// ClientOptions configure a Client.
type ClientOptions struct {
	URI            string
	AppName        *string
	ConnectTimeout *time.Duration
	MaxPoolSize    *uint64
}

// Client returns new ClientOptions.
func Client() *ClientOptions { return &ClientOptions{} }

// ApplyURI sets the connection string.
func (c *ClientOptions) ApplyURI(uri string) *ClientOptions {
	c.URI = uri
	return c
}

// SetAppName sets the application name.
func (c *ClientOptions) SetAppName(s string) *ClientOptions {
	c.AppName = &s
	return c
}

// SetConnectTimeout sets the connect timeout.
func (c *ClientOptions) SetConnectTimeout(d time.Duration) *ClientOptions {
	c.ConnectTimeout = &d
	return c
}

// SetMaxPoolSize sets the connection pool size.
func (c *ClientOptions) SetMaxPoolSize(u uint64) *ClientOptions {
	c.MaxPoolSize = &u
	return c
}

// DatabaseOptions configure a Database.
type DatabaseOptions struct{}

// CollectionOptions configure a Collection.
type CollectionOptions struct{}

// InsertOneOptions configure InsertOne.
type InsertOneOptions struct{}

// InsertManyOptions configure InsertMany.
type InsertManyOptions struct{}

// DeleteOptions configure DeleteOne and DeleteMany.
type DeleteOptions struct{}

// UpdateOptions configure UpdateOne.
type UpdateOptions struct {
	Upsert *bool
}

// Update returns new UpdateOptions.
func Update() *UpdateOptions { return &UpdateOptions{} }

// SetUpsert makes UpdateOne insert when nothing matches.
func (u *UpdateOptions) SetUpsert(b bool) *UpdateOptions {
	u.Upsert = &b
	return u
}

// CountOptions configure CountDocuments.
type CountOptions struct{}

// FindOneOptions configure FindOne.
type FindOneOptions struct{}

// FindOne returns new FindOneOptions.
func FindOne() *FindOneOptions { return &FindOneOptions{} }

// FindOptions configure Find.
type FindOptions struct {
	Limit *int64
}

// Find returns new FindOptions.
func Find() *FindOptions { return &FindOptions{} }

// SetLimit caps the number of documents returned.
func (f *FindOptions) SetLimit(i int64) *FindOptions {
	f.Limit = &i
	return f
}
