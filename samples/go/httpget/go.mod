module example.com/httpget

go 1.21
