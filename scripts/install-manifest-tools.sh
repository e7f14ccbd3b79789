#!/usr/bin/env bash
# Installs what the manifests suite (tests/manifests) needs to render and validate
# manifests/kustomize: kustomize, built from source through the Go module proxy, and a
# Python venv with kubernetes-validate, which ships the Kubernetes JSON schemas itself
# (tests/requirements-manifests.txt). Nothing is downloaded from anywhere else.
#
# Usage: scripts/install-manifest-tools.sh [TOOLS_DIR [VENV_DIR]]
#   TOOLS_DIR  where kustomize goes, as TOOLS_DIR/bin/kustomize (default: .tools)
#   VENV_DIR   the venv (default: .venv-manifests)
#
# Environment:
#   GO   the go command to build with (default: go on PATH, else /usr/local/go/bin/go)
#
# kustomize v5.0.3 is the newest release whose go.mod asks for no more than Go 1.19, the
# Go of Debian 12: the go already on the machine builds it, and where there is none, Debian's
# golang-go is installed (as root). A second run finds the binary and does nothing.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
readonly SCRIPT_DIR REPO_ROOT
readonly KUSTOMIZE_MODULE=sigs.k8s.io/kustomize/kustomize/v5
readonly KUSTOMIZE_VERSION=v5.0.3

die() {
  echo "install-manifest-tools: $*" >&2
  exit 1
}

case "${1:-}" in
  -h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac

tools_dir="${1:-$REPO_ROOT/.tools}"
venv_dir="${2:-$REPO_ROOT/.venv-manifests}"
kustomize="$tools_dir/bin/kustomize"

if [[ -x "$kustomize" ]] && "$kustomize" version 2>/dev/null | grep -qF "$KUSTOMIZE_VERSION"; then
  echo "install-manifest-tools: $kustomize is $KUSTOMIZE_VERSION"
else
  go="${GO:-$(command -v go || true)}"
  [[ -n "$go" || ! -x /usr/local/go/bin/go ]] || go=/usr/local/go/bin/go
  if [[ -z "$go" ]]; then
    ((EUID == 0)) || die "no Go toolchain; run: sudo apt-get install golang-go"
    echo "install-manifest-tools: installing Debian's golang-go"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends golang-go </dev/null
    go=/usr/bin/go
  fi
  echo "install-manifest-tools: building kustomize $KUSTOMIZE_VERSION with $("$go" version)"
  mkdir -p "$tools_dir/bin"
  # GOTOOLCHAIN=local: build with this go, never fetch another toolchain. The -X stamps the
  # version that `kustomize version` prints, as kustomize's own release builds do.
  GOBIN="$tools_dir/bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
    "$go" install -ldflags "-X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION" \
    "$KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION"
  "$kustomize" version | grep -qF "$KUSTOMIZE_VERSION" ||
    die "$kustomize does not report $KUSTOMIZE_VERSION"
fi

"$SCRIPT_DIR/setup-venv.sh" "$venv_dir" "$REPO_ROOT/tests/requirements-manifests.txt"
