#!/bin/sh
# Builds the Go example against libcnb in a meson build tree (no install, no network).
#   build.sh SOURCE_ROOT BUILD_ROOT OUTPUT
# `#cgo pkg-config: libcnb` finds BUILD_ROOT/meson-uninstalled/libcnb-uninstalled.pc; the public
# headers (version.h is generated in BUILD_ROOT/include) and an rpath to the uninstalled libcnb.so are added here. Against an installed libcnb
# (`meson install`), a plain `go build` in this directory is enough.
set -eu
src=$1 build=$2 out=$3
case $out in /*) ;; *) out=$PWD/$out ;; esac
export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export CGO_ENABLED=1 CGO_CFLAGS="-I$src/include -I$build/include" CGO_LDFLAGS="-Wl,-rpath,$build"
export GOCACHE="$build/examples/go/gocache" GOPATH="$build/examples/go/gopath"
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
cd "$src/examples/go"
exec go build -trimpath -o "$out" .
