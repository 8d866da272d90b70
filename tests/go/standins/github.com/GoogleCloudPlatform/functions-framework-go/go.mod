module github.com/GoogleCloudPlatform/functions-framework-go

go 1.22
