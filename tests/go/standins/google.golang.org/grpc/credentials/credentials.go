// Package credentials is a stand-in for google.golang.org/grpc/credentials.
package credentials

import "crypto/tls"

// ProtocolInfo describes a transport's security protocol.
type ProtocolInfo struct {
	SecurityProtocol string
	ServerName       string
}

// TransportCredentials secure a connection.
type TransportCredentials interface {
	Info() ProtocolInfo
}

type tlsCreds struct{ cfg *tls.Config }

func (c tlsCreds) Info() ProtocolInfo {
	info := ProtocolInfo{SecurityProtocol: "tls"}
	if c.cfg != nil {
		info.ServerName = c.cfg.ServerName
	}
	return info
}

// NewTLS returns TLS transport credentials.
func NewTLS(c *tls.Config) TransportCredentials { return tlsCreds{c} }

// NewClientTLSFromCert returns TLS credentials for a client.
func NewClientTLSFromCert(_ interface{}, serverNameOverride string) TransportCredentials {
	return tlsCreds{&tls.Config{ServerName: serverNameOverride}}
}
