#!/usr/bin/env bash
# Create benchmarks/.venv-mlflow: MLflow in its own environment, so that the comparison in
# benchmarks/tracking.py never installs MLflow (and its many dependencies) into runlab's.
#
#   bash benchmarks/setup-mlflow-env.sh            # MLflow 3.18.0, the version last measured
#   MLFLOW_SPEC='mlflow' bash benchmarks/setup-mlflow-env.sh   # whatever is newest
#   PYTHON=python3.12 bash benchmarks/setup-mlflow-env.sh      # another interpreter
#
# Running it again reuses the environment and only (re)installs MLflow.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_dir="$here/.venv-mlflow"
python="${PYTHON:-python3}"
spec="${MLFLOW_SPEC:-mlflow>=3.17,<3.19}"

if [[ ! -x "$env_dir/bin/python" ]]; then
    echo "creating $env_dir with $("$python" -V 2>&1)"
    "$python" -m venv "$env_dir"
fi
"$env_dir/bin/python" -m pip install --quiet --upgrade pip
"$env_dir/bin/python" -m pip install --quiet "$spec"
echo "installed: $("$env_dir/bin/python" -c 'import mlflow; print("mlflow", mlflow.__version__)')"
echo "now run: .venv/bin/python benchmarks/tracking.py"
