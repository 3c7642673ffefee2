// Package cnb is a minimal Go binding of libcnb, in the shape pack would use: a context with a Go
// log callback, a build driven by a context.Context, and the result's digest. Standard library
// and cgo only.
package cnb

/*
#cgo pkg-config: libcnb
#include <cnb/cnb.h>
#include <stdlib.h>

// goLogCallback (exported below) has cnb_log_fn's shape, so libcnb calls Go directly: no C shim.
extern void goLogCallback(int32_t level, char *msg, void *userdata);
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// LogLevel mirrors cnb_log_level.
type LogLevel int

const (
	LogError  LogLevel = C.CNB_LOG_ERROR
	LogWarn   LogLevel = C.CNB_LOG_WARN
	LogInfo   LogLevel = C.CNB_LOG_INFO
	LogDebug  LogLevel = C.CNB_LOG_DEBUG
	LogOutput LogLevel = C.CNB_LOG_OUTPUT // a line a buildpack printed
)

// Stable libcnb error codes (cnb_error_code); a few of them.
const (
	EInval    = int(C.CNB_EINVAL)
	ECanceled = int(C.CNB_ECANCELED)
	EDetect   = int(C.CNB_EDETECT)
	EBuild    = int(C.CNB_EBUILD)
)

// Error is a libcnb error: a stable code and a message with context.
type Error struct {
	Code    int
	Name    string // "CNB_ECANCELED"
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%s)", e.Message, e.Name) }

// takeError converts and frees a cnb_error.
func takeError(rc C.int, cerr *C.cnb_error) error {
	code := int(rc)
	if cerr != nil {
		code = int(C.cnb_error_code_of(cerr))
	}
	e := &Error{Code: code, Name: C.GoString(C.cnb_error_code_name(C.int(code))), Message: C.GoString(C.cnb_error_message(cerr))}
	C.cnb_error_free(cerr)
	return e
}

// LogFunc receives libcnb's log lines. It is called from the library's threads, possibly
// concurrently with the caller's goroutine: it must be safe for that.
type LogFunc func(level LogLevel, msg string)

// Context wraps a cnb_ctx. Close it when done.
type Context struct {
	c        *C.cnb_ctx
	handle   cgo.Handle
	userdata unsafe.Pointer // C memory holding handle: cgo forbids Go pointers kept by C
}

//export goLogCallback
func goLogCallback(level C.int32_t, msg *C.char, userdata unsafe.Pointer) {
	h := cgo.Handle(*(*C.uintptr_t)(userdata))
	if fn, ok := h.Value().(LogFunc); ok && fn != nil {
		fn(LogLevel(level), C.GoString(msg))
	}
}

// NewContext creates a context whose log lines (up to and including maxLevel) go to log.
// cacheDir "" means libcnb's default ($XDG_CACHE_HOME/cnb).
func NewContext(cacheDir string, maxLevel LogLevel, log LogFunc) (*Context, error) {
	var dir *C.char
	if cacheDir != "" {
		dir = C.CString(cacheDir)
		defer C.free(unsafe.Pointer(dir))
	}
	var opts C.cnb_ctx_opts
	if rc := C.cnb_ctx_opts_init(&opts, C.CNB_CTX_OPTS_VERSION); rc < 0 {
		return nil, takeError(rc, nil)
	}
	h := cgo.NewHandle(log)
	userdata := C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	*(*C.uintptr_t)(userdata) = C.uintptr_t(h)
	opts.cache_dir = dir
	opts.log = C.cnb_log_fn(C.goLogCallback)
	opts.userdata = userdata
	opts.log_level = C.int32_t(maxLevel)
	var c *C.cnb_ctx
	var cerr *C.cnb_error
	if rc := C.cnb_ctx_new(&c, &opts, &cerr); rc < 0 {
		h.Delete()
		C.free(userdata)
		return nil, takeError(rc, cerr)
	}
	return &Context{c: c, handle: h, userdata: userdata}, nil
}

// Close frees the context. No build may run on it any more.
func (c *Context) Close() {
	C.cnb_ctx_free(c.c)
	c.handle.Delete()
	C.free(c.userdata)
}

// BuildOptions is the Go face of cnb_build_opts (a subset).
type BuildOptions struct {
	Image      string   // required: where the image goes
	Builder    string   // required: builder image reference
	AppDir     string   // "": the current directory
	Output     string   // "": push to Image's registry; "oci:DIR[:TAG]": an OCI layout
	Executor   string   // "": the VM; "host": Linux namespaces (root)
	Env        []string // KEY=VALUE for the buildpacks
	Buildpacks []string // replace the builder's order: IDs or directories
}

// Result of a successful build.
type Result struct {
	Digest    string // manifest digest, "sha256:..."
	Reference string // "registry/app:tag@sha256:..."
}

// Build runs one build. Cancelling ctx (from any goroutine, or a deadline) calls cnb_build_cancel:
// the VM is killed and Build returns an *Error with Code ECanceled.
func Build(ctx context.Context, c *Context, o BuildOptions) (*Result, error) {
	var allocs []unsafe.Pointer
	defer func() {
		for _, p := range allocs {
			C.free(p)
		}
	}()
	str := func(s string) *C.char {
		if s == "" {
			return nil
		}
		p := C.CString(s)
		allocs = append(allocs, unsafe.Pointer(p))
		return p
	}
	list := func(items []string) **C.char {
		if len(items) == 0 {
			return nil
		}
		size := C.size_t(unsafe.Sizeof((*C.char)(nil)))
		arr := (*[1 << 20]*C.char)(C.calloc(C.size_t(len(items)+1), size))
		allocs = append(allocs, unsafe.Pointer(arr))
		for i, s := range items {
			arr[i] = str(s)
		}
		return &arr[0]
	}

	var opts C.cnb_build_opts
	if rc := C.cnb_build_opts_init(&opts, C.CNB_BUILD_OPTS_VERSION); rc < 0 {
		return nil, takeError(rc, nil)
	}
	opts.image = str(o.Image)
	opts.builder = str(o.Builder)
	opts.app_dir = str(o.AppDir)
	opts.output = str(o.Output)
	opts.executor = str(o.Executor)
	opts.env = list(o.Env)
	opts.buildpacks = list(o.Buildpacks)

	var b *C.cnb_build
	var cerr *C.cnb_error
	if rc := C.cnb_build_new(&b, c.c, &opts, &cerr); rc < 0 {
		return nil, takeError(rc, cerr)
	}
	defer C.cnb_build_free(b)

	// cnb_build_run blocks this goroutine; another one turns ctx's cancellation into
	// cnb_build_cancel (callable from any thread). It is gone before the build is freed.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			C.cnb_build_cancel(b)
		case <-done:
		}
	}()
	rc := C.cnb_build_run(b, &cerr)
	close(done)
	wg.Wait()
	if rc < 0 {
		return nil, takeError(rc, cerr)
	}
	return &Result{Digest: C.GoString(C.cnb_build_digest(b)), Reference: C.GoString(C.cnb_build_reference(b))}, nil
}
