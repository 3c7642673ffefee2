// A buildpack written in Go with the standard library only, built by bench-go-buildpacks.sh:
// the shape of a real Paketo buildpack (one static Go binary serving bin/detect and bin/build,
// a few MB of code the guest must translate on first run), without their module downloads.
// detect: passes when the app has a file named after the buildpack's marker and writes a plan;
// build: writes a launch layer with a file and its layer TOML, like a dependency install.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// <buildpacks dir>/<escaped id>/<version>/bin/<detect|build>
func buildpackID() string {
	return filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(os.Args[0]))))
}

func detect(app, plan string) {
	if _, err := os.Stat(filepath.Join(app, "go-bench.txt")); err != nil {
		os.Exit(100)
	}
	name := strings.ReplaceAll(buildpackID(), "/", "-")
	toml := fmt.Sprintf("[[provides]]\nname = %q\n\n[[requires]]\nname = %q\n", name, name)
	if err := os.WriteFile(plan, []byte(toml), 0o644); err != nil {
		fail("write plan: %v", err)
	}
}

func build(layers string) {
	entries, _ := os.ReadDir(".")
	sum := sha256.New()
	for _, e := range entries {
		sum.Write([]byte(e.Name()))
	}
	meta, _ := json.Marshal(map[string]string{"files": hex.EncodeToString(sum.Sum(nil))})
	dir := filepath.Join(layers, "runtime")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		fail("layer: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644); err != nil {
		fail("layer file: %v", err)
	}
	toml := "[types]\nlaunch = true\n\n[metadata]\nsource = \"go-bench\"\n"
	if err := os.WriteFile(dir+".toml", []byte(toml), 0o644); err != nil {
		fail("layer toml: %v", err)
	}
	fmt.Println("built", buildpackID())
}

func main() {
	switch filepath.Base(os.Args[0]) {
	case "detect":
		if len(os.Args) < 3 {
			fail("usage: detect PLATFORM PLAN")
		}
		detect(".", os.Args[2])
	case "build":
		if len(os.Args) < 2 {
			fail("usage: build LAYERS PLATFORM PLAN")
		}
		build(os.Args[1])
	default:
		fail("run me as bin/detect or bin/build")
	}
}
