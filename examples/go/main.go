// cnb-go-example builds an app image with libcnb from Go (cgo), the way pack could embed it:
//
//	cnb-go-example -image REG/APP -builder REG/BUILDER [-path DIR] [-executor vm|host]
//	               [-buildpack DIR] [-cancel-on-output]
//
// Buildpack output reaches a Go callback; Ctrl-C (or -cancel-on-output, after the first line a
// buildpack prints) cancels the Go context, which cancels the build. Prints "digest: sha256:..."
// on success; exit status 0 ok, 1 build error ("error: CODE: message"), 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"example.com/libcnb-go/cnb"
)

func main() {
	image := flag.String("image", "", "image to build and push (required)")
	builder := flag.String("builder", "", "builder image (required)")
	path := flag.String("path", ".", "app source directory")
	executor := flag.String("executor", "", "vm (default) or host")
	buildpack := flag.String("buildpack", "", "use this buildpack directory instead of the builder's order")
	cancelOnOutput := flag.Bool("cancel-on-output", false, "cancel the build after the first buildpack output line")
	flag.Parse()
	if *image == "" || *builder == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var mu sync.Mutex
	outputLines := 0
	logf := func(level cnb.LogLevel, msg string) {
		mu.Lock()
		defer mu.Unlock()
		if level == cnb.LogOutput {
			outputLines++
			fmt.Printf("go callback: %s\n", msg)
			if *cancelOnOutput && outputLines == 1 {
				fmt.Println("cancelling the build")
				cancel()
			}
			return
		}
		if level <= cnb.LogInfo {
			fmt.Fprintf(os.Stderr, "libcnb[%d]: %s\n", level, msg)
		}
	}
	c, err := cnb.NewContext("", cnb.LogOutput, logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	defer c.Close()

	opts := cnb.BuildOptions{Image: *image, Builder: *builder, AppDir: *path, Executor: *executor}
	if *buildpack != "" {
		opts.Buildpacks = []string{*buildpack}
	}
	res, err := cnb.Build(ctx, c, opts)
	mu.Lock()
	fmt.Printf("go callback received %d output lines\n", outputLines)
	mu.Unlock()
	if err != nil {
		var e *cnb.Error
		if errors.As(err, &e) {
			fmt.Printf("error: %s: %s\n", e.Name, e.Message)
		} else {
			fmt.Printf("error: %v\n", err)
		}
		c.Close()
		os.Exit(1)
	}
	fmt.Printf("digest: %s\nreference: %s\n", res.Digest, res.Reference)
}
