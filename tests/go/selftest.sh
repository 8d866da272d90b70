#!/bin/sh
# Checks the Go stand-in modules offline: gofmt, go vet of every module, and
# the self-test.
set -eu
cd "$(dirname "$0")/standins"
export GOFLAGS="-mod=mod -buildvcs=false" GOPROXY=off GOTOOLCHAIN=local

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt -l reports:" >&2
	echo "$unformatted" >&2
	exit 1
fi
for mod in $(find . -name go.mod | sort); do
	(cd "$(dirname "$mod")" && go vet ./...)
done
cd selftest
go test -count=1 "$@" ./...
