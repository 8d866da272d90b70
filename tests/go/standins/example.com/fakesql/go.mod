module example.com/fakesql

go 1.22
