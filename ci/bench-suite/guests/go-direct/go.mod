module go-direct

go 1.24
