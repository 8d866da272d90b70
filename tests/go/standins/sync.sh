#!/bin/sh
# Copies the shared helper packages in _shared/ into the stand-in modules
# that use them (each module must stand alone, so they cannot import a common
# module). Run after editing anything under _shared/; the self-test fails
# while a copy differs from its master.
set -eu
cd "$(dirname "$0")"

copy() {
	pkg=$1
	shift
	for m in "$@"; do
		mkdir -p "$m/internal/$pkg"
		cp "_shared/$pkg/$pkg.go" "$m/internal/$pkg/$pkg.go"
	done
}

copy life \
	cloud.google.com/go/storage \
	cloud.google.com/go/firestore \
	cloud.google.com/go/pubsub \
	cloud.google.com/go/pubsublite \
	cloud.google.com/go/bigquery \
	cloud.google.com/go/spanner \
	google.golang.org/grpc \
	github.com/redis/go-redis/v9 \
	go.mongodb.org/mongo-driver \
	github.com/jackc/pgx/v5 \
	github.com/eclipse/paho.mqtt.golang \
	github.com/segmentio/kafka-go \
	example.com/fakesql
copy docmap \
	cloud.google.com/go/firestore \
	cloud.google.com/go/bigquery \
	cloud.google.com/go/spanner \
	go.mongodb.org/mongo-driver
copy minisql \
	cloud.google.com/go/spanner \
	github.com/jackc/pgx/v5 \
	example.com/fakesql
