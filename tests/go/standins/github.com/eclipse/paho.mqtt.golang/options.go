package mqtt

import (
	"net/url"
	"strings"
	"time"
)

// MessageHandler is called for each message received.
type MessageHandler func(Client, Message)

// OnConnectHandler is called when a connection is made.
type OnConnectHandler func(Client)

// ConnectionLostHandler is called when the connection is lost.
type ConnectionLostHandler func(Client, error)

// ClientOptions configure a Client.
type ClientOptions struct {
	Servers        []*url.URL
	ClientID       string
	Username       string
	Password       string
	AutoReconnect  bool
	ConnectTimeout time.Duration
	KeepAlive      int64
	CleanSession   bool

	defaultHandler MessageHandler
	onConnect      OnConnectHandler
	onLost         ConnectionLostHandler
}

// NewClientOptions returns options with the defaults.
func NewClientOptions() *ClientOptions {
	return &ClientOptions{AutoReconnect: true, ConnectTimeout: 30 * time.Second, KeepAlive: 30, CleanSession: true}
}

// AddBroker adds a broker URI such as tcp://localhost:1883.
func (o *ClientOptions) AddBroker(server string) *ClientOptions {
	if !strings.Contains(server, "://") {
		server = "tcp://" + server
	}
	if u, err := url.Parse(server); err == nil {
		o.Servers = append(o.Servers, u)
	}
	return o
}

// SetClientID sets the client ID.
func (o *ClientOptions) SetClientID(id string) *ClientOptions {
	o.ClientID = id
	return o
}

// SetUsername sets the user name.
func (o *ClientOptions) SetUsername(u string) *ClientOptions {
	o.Username = u
	return o
}

// SetPassword sets the password.
func (o *ClientOptions) SetPassword(p string) *ClientOptions {
	o.Password = p
	return o
}

// SetAutoReconnect sets whether to reconnect automatically.
func (o *ClientOptions) SetAutoReconnect(a bool) *ClientOptions {
	o.AutoReconnect = a
	return o
}

// SetConnectTimeout sets the connect timeout.
func (o *ClientOptions) SetConnectTimeout(t time.Duration) *ClientOptions {
	o.ConnectTimeout = t
	return o
}

// SetKeepAlive sets the keep-alive interval.
func (o *ClientOptions) SetKeepAlive(k time.Duration) *ClientOptions {
	o.KeepAlive = int64(k / time.Second)
	return o
}

// SetCleanSession sets the clean session flag.
func (o *ClientOptions) SetCleanSession(clean bool) *ClientOptions {
	o.CleanSession = clean
	return o
}

// SetDefaultPublishHandler sets the handler for messages no subscription
// handler takes.
func (o *ClientOptions) SetDefaultPublishHandler(defaultHandler MessageHandler) *ClientOptions {
	o.defaultHandler = defaultHandler
	return o
}

// SetOnConnectHandler sets the handler called after each connection.
func (o *ClientOptions) SetOnConnectHandler(onConn OnConnectHandler) *ClientOptions {
	o.onConnect = onConn
	return o
}

// SetConnectionLostHandler sets the handler called when the connection is
// lost.
func (o *ClientOptions) SetConnectionLostHandler(onLost ConnectionLostHandler) *ClientOptions {
	o.onLost = onLost
	return o
}

// ClientOptionsReader reads a client's options.
type ClientOptionsReader struct{ o *ClientOptions }

// ClientID returns the client ID.
func (r *ClientOptionsReader) ClientID() string { return r.o.ClientID }

// Servers returns the broker URIs.
func (r *ClientOptionsReader) Servers() []*url.URL { return r.o.Servers }
