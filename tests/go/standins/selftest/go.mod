module standins.test/selftest

go 1.22

require (
	cloud.google.com/go/bigquery v0.0.0
	cloud.google.com/go/firestore v0.0.0
	cloud.google.com/go/pubsub v0.0.0
	cloud.google.com/go/pubsublite v0.0.0
	cloud.google.com/go/spanner v0.0.0
	cloud.google.com/go/storage v0.0.0
	example.com/fakesql v0.0.0
	github.com/eclipse/paho.mqtt.golang v0.0.0
	github.com/jackc/pgx/v5 v5.0.0
	github.com/redis/go-redis/v9 v9.0.0
	github.com/segmentio/kafka-go v0.0.0
	go.mongodb.org/mongo-driver v0.0.0
	google.golang.org/api v0.0.0
	google.golang.org/grpc v0.0.0
	standins.test/shared v0.0.0
)

replace (
	cloud.google.com/go/bigquery => ../cloud.google.com/go/bigquery
	cloud.google.com/go/firestore => ../cloud.google.com/go/firestore
	cloud.google.com/go/pubsub => ../cloud.google.com/go/pubsub
	cloud.google.com/go/pubsublite => ../cloud.google.com/go/pubsublite
	cloud.google.com/go/spanner => ../cloud.google.com/go/spanner
	cloud.google.com/go/storage => ../cloud.google.com/go/storage
	example.com/fakesql => ../example.com/fakesql
	github.com/eclipse/paho.mqtt.golang => ../github.com/eclipse/paho.mqtt.golang
	github.com/jackc/pgx/v5 => ../github.com/jackc/pgx/v5
	github.com/redis/go-redis/v9 => ../github.com/redis/go-redis/v9
	github.com/segmentio/kafka-go => ../github.com/segmentio/kafka-go
	go.mongodb.org/mongo-driver => ../go.mongodb.org/mongo-driver
	google.golang.org/api => ../google.golang.org/api
	google.golang.org/grpc => ../google.golang.org/grpc
	standins.test/shared => ../_shared
)
