module example.com/conformance/cli

go 1.21
