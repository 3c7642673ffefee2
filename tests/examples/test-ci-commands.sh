#!/usr/bin/env bash
# Runs the cnb-build command line of every file in examples/ci exactly as the file writes it
# (tests/examples/ci-commands.py extracts them; nothing is retyped here) against a local registry
# and a test builder. The variables the CI system would set are set here; the Kubernetes Job's
# site-specific values (registry.example.com, /workspace, /cache) are mapped to this machine. The
# Job and the Tekton Task run on the host executor, as they allow; the GitHub and GitLab jobs build
# in the VM, as written. Prints TAP.
#   test-ci-commands.sh CNB_EXE SOURCE_ROOT   (run through with-registry.sh)
set -u
cnb=$1 src=$2
reg=${CNB_TEST_REGISTRY:?run me through with-registry.sh}
. "$(dirname "$0")/../lib/tap.sh"
tap_workdir ci-commands
export CI=true
mkdir -p "$work/bin" && ln -s "$(realpath "$cnb")" "$work/bin/cnb-build"
export PATH="$work/bin:$PATH"
builder=$("$src/tests/lib/make-test-builder.sh" "$cnb" "$src" "$work" builders base) || { echo "Bail out! builder"; exit 1; }
remote_digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$1" 2>&1; }
app() { mkdir -p "$1" && cp -r "$src/examples/sample-app/." "$1/"; }

# run_example FILE DIR IMAGE COMMAND: runs COMMAND (the file's text) in DIR as the file's shell would,
# then checks the result line, the pushed digest and every --tag.
run_example() {
	local file=$1 dir=$2 image=$3 cmd=$4 out=$work/$1.out
	(cd "$dir" && eval "ref=\$($cmd)" && printf '%s\n' "$ref") >"$out" 2>"$out.err"
	local rc=$? ref d
	ref=$(tail -1 "$out")
	ok $rc "$file: $cmd"; [ $rc = 0 ] || show "$out.err"
	d=${ref##*@}
	[ "$(remote_digest "$image")" = "$d" ]; ok $? "$file: $image was pushed with the digest the command printed ($d)"
	for t in $(printf '%s\n' "$cmd" | grep -o -- '--tag "[^"]*"' | sed 's/--tag //'); do
		t=$(cd "$dir" && eval "printf '%s' $t")
		[ "$(remote_digest "$t")" = "$d" ]; ok $? "$file: --tag $t has the same digest"
	done
}

n_files=0
while IFS= read -r -d '' file && IFS= read -r -d '' cmd; do
	n_files=$((n_files + 1))
	case $file in
	Containerfile)
		[ "$cmd" = 'ENTRYPOINT ["cnb-build"]' ]; ok $? "Containerfile: the image's ENTRYPOINT is cnb-build (the Job and Task run it)" ;;
	github-actions.yml)
		app "$work/gh/app"
		IMAGE=$reg/ci/github BUILDER=$builder:latest GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 \
			run_example "$file" "$work/gh" "$reg/ci/github:0123456789ab" "$cmd"
		[ -s "$work/gh/cnb-report.json" ]; ok $? "$file: --report-json wrote cnb-report.json" ;;
	gitlab-ci.yml)
		app "$work/gl"
		IMAGE=$reg/ci/gitlab BUILDER=$builder:latest CI_COMMIT_SHORT_SHA=0123abcd CI_COMMIT_REF_SLUG=main \
			run_example "$file" "$work/gl" "$reg/ci/gitlab:0123abcd" "$cmd"
		[ -s "$work/gl/cnb-report.json" ]; ok $? "$file: --report-json wrote cnb-report.json" ;;
	kubernetes-job.yaml)
		app "$work/k8s/workspace/app"
		cmd=$(printf '%s' "$cmd" | sed -e "s|registry.example.com|$reg|g" -e "s|=/workspace/|=$work/k8s/workspace/|g" \
			-e "s|=/cache/|=$work/k8s/cache/|g")
		run_example "$file" "$work/k8s" "$reg/team/app:latest" "$cmd"
		[ -s "$work/k8s/workspace/report.json" ] && [ -d "$work/k8s/cache/build/app" ]
		ok $? "$file: the report and the build cache are where the Job puts them" ;;
	tekton-task.yaml)
		app "$work/tk/src"
		cache=(--cache-dir "$work/tk/cache/build")
		PARAM_IMAGE=$reg/ci/tekton PARAM_BUILDER=$builder PARAM_SUBPATH=src PARAM_EXECUTOR=host \
			run_example "$file" "$work/tk" "$reg/ci/tekton" "$cmd" ;;
	*)
		ok 1 "$file: a file in examples/ci this test does not know: teach it ($cmd)" ;;
	esac
done < <(python3 "$src/tests/examples/ci-commands.py" "$src")
[ "$n_files" -ge 5 ]; ok $? "every file of examples/ci was run ($n_files command lines)"
tap_done
