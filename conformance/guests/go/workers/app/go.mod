module example.com/conformance/workers

go 1.21

require github.com/syumai/workers v0.0.0

replace github.com/syumai/workers => ../compat
