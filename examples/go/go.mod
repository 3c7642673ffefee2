module example.com/libcnb-go

go 1.19
