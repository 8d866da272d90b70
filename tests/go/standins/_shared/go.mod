module standins.test/shared

go 1.22
