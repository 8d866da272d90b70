// Package functions is a stand-in for the Functions Framework's registry.
package functions

import "net/http"

var registry = map[string]func(http.ResponseWriter, *http.Request){}

// HTTP registers an HTTP function under name.
func HTTP(name string, fn func(http.ResponseWriter, *http.Request)) { registry[name] = fn }

// Lookup returns the HTTP function registered under name.
func Lookup(name string) func(http.ResponseWriter, *http.Request) { return registry[name] }
