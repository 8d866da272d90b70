module cloud.google.com/go/storage

go 1.22

require (
	google.golang.org/api v0.0.0
	standins.test/shared v0.0.0
)

replace (
	google.golang.org/api => ../../../google.golang.org/api
	standins.test/shared => ../../../_shared
)
