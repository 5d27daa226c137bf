#!/usr/bin/env bash
# Compliance gate: synthesize the reference stack, scan it with checkov, our CKV_SWEB policies
# and the reasoned skips, and write reports/ (JUnit, SARIF, Markdown, architecture diagram).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export BC_SKIP_MAPPING=TRUE

if ! command -v dot >/dev/null 2>&1; then
    echo "compliance: installing graphviz for the architecture diagram" >&2
    export DEBIAN_FRONTEND=noninteractive
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -q >/dev/null
    "${sudo_cmd[@]}" apt-get install -y -q graphviz >/dev/null
fi

pipenv run python -m compliance "$@"
