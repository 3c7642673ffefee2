#!/usr/bin/env bash
# The sample app: a greeting from a helper that the buildpack put on PATH.
greet "world from a daemonless build"
echo "args: $*"
