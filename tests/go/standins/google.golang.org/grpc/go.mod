module google.golang.org/grpc

go 1.22

require standins.test/shared v0.0.0

replace standins.test/shared => ../../_shared
