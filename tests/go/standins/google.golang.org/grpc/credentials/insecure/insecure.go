// Package insecure is a stand-in for
// google.golang.org/grpc/credentials/insecure.
package insecure

import "google.golang.org/grpc/credentials"

type insecureTC struct{}

func (insecureTC) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "insecure"}
}

// NewCredentials returns credentials that disable transport security.
func NewCredentials() credentials.TransportCredentials { return insecureTC{} }
