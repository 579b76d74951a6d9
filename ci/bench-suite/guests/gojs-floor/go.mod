module gojs-floor

go 1.21
