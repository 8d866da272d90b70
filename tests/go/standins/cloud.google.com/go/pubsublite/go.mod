module cloud.google.com/go/pubsublite

go 1.22

require (
	cloud.google.com/go/pubsub v0.0.0
	google.golang.org/api v0.0.0
	standins.test/shared v0.0.0
)

replace (
	cloud.google.com/go/pubsub => ../pubsub
	google.golang.org/api => ../../../google.golang.org/api
	standins.test/shared => ../../../_shared
)
