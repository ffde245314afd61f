#!/usr/bin/env bash
# A Colab-like run (issue 14): a throwaway virtual environment with Colab's widget stack
# (ipywidgets 7.7.1 and the kernel packages Colab ships with it), alexnet_lib installed
# the way a chapter's bootstrap cell installs it in Colab (non-editable, from the
# repository, base dependencies only), then the widget unit tests against that installed
# copy. With COLAB_LIKE_CHAPTERS=1 it also runs the widget chapters (4, 7, 10) under nbval
# with the smoke profile and a stand-in `google.colab` imported at kernel start, so the
# bootstrap cell takes its Colab branch (its `pip install git+<repository>` is pointed at
# this checkout's committed HEAD, since CI reaches no GitHub).
#
#   bash .ci/colab-like.sh                          # widget unit tests (a few minutes)
#   COLAB_LIKE_CHAPTERS=1 bash .ci/colab-like.sh    # and chapters 4, 7, 10
#
# COLAB_LIKE_BOOK=DIR takes the chapters from DIR instead of book/.
#
# COLAB_LIKE_VENV (default .venv-colab, git-ignored) is reused if it exists; delete it to
# start afresh. The tests and chapters run from a copy in a temporary folder, so Python
# imports the installed alexnet_lib, not this checkout's source.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
VENV=${COLAB_LIKE_VENV:-$ROOT/.venv-colab}
# Colab's GPU runtime as published in googlecolab/backend-info (../shared/colab/): the
# widget and kernel packages a widget depends on. torch/torchvision: the project's pins
# (Colab's 2.11/0.26 builds are CUDA wheels; the library asks only torch>=2.4).
COLAB_PINS=(ipywidgets==7.7.1 widgetsnbextension==3.6.10 ipykernel==6.17.1 ipython==7.34.0
            jupyter_client==7.4.9 notebook==6.5.7 pandas==2.2.3 seaborn==0.13.2)
TOOLS=(pytest nbval)
export PYDEVD_DISABLE_FILE_VALIDATION=1  # else ipykernel 6.17's debugpy warns at import
started=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install -q)
"${PIP[@]}" torch==2.14.1 torchvision==0.29.1 "${COLAB_PINS[@]}" "${TOOLS[@]}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/colab-like.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# What the bootstrap does (pip install git+<repository>): non-editable, no extras, here
# from a copy of the checkout's files (setuptools would leave a build/ folder in it). The
# pins again, so that pip can only add what alexnet_lib needs, never swap a pinned one.
mkdir "$WORK/src"
git ls-files -z --cached --others --exclude-standard | "$VENV/bin/python" -c '
import shutil, sys
from pathlib import Path
for name in sys.stdin.buffer.read().decode().split("\0"):
    if name and Path(name).is_file():
        Path(sys.argv[1], name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(name, Path(sys.argv[1], name))
' "$WORK/src"
"${PIP[@]}" --force-reinstall --no-deps "$WORK/src"
"${PIP[@]}" "$WORK/src" "${COLAB_PINS[@]}"
echo "colab-like: environment ready in $(( $(date +%s) - started )) s"

# The tests (and the chapters) run from a copy outside the checkout: from the checkout,
# pytest would put it first on sys.path and test its source instead of the install.
cp -r tests "$WORK/tests"
cp conftest.py "$WORK/"
cd "$WORK"
"$VENV/bin/python" - <<'PY'
import ipywidgets, torch, alexnet_lib
assert ipywidgets.__version__ == "7.7.1", ipywidgets.__version__
assert not hasattr(ipywidgets, "Stack")
assert "site-packages" in alexnet_lib.__file__, alexnet_lib.__file__
print(f"colab-like: ipywidgets {ipywidgets.__version__}, torch {torch.__version__}, "
      f"alexnet_lib from {alexnet_lib.__file__}")
PY
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/test_widgets_*.py tests/test_inspection.py \
  tests/test_images.py tests/test_viz.py
echo "colab-like: widget unit tests passed ($(( $(date +%s) - started )) s so far)"

if [ "${COLAB_LIKE_CHAPTERS:-0}" = 1 ]; then
  mkdir -p book
  chapters=${COLAB_LIKE_BOOK:-$ROOT/book}  # where the chapters come from
  cp "$chapters"/04_*.ipynb "$chapters"/07_*.ipynb "$chapters"/10_*.ipynb \
     "$chapters"/nbval_sanitize.cfg book/
  # In Colab a chapter's kernel starts in /content, where the bootstrap's DATA_ROOT is
  # "data": give it this checkout's data/ there.
  ln -s "$ROOT/data" book/data
  # The installed package is not next to the repository, so the scorecard's records
  # (alexnet_lib.book.scorecard.records_folder) are named: this checkout's data/records.
  export ALEXNET_RECORDS="$ROOT/data/records"
  # google.colab as the chapters see it: a module that is already imported when the
  # kernel starts (Colab imports it at start-up; the bootstrap only checks sys.modules).
  mkdir -p fake/google/colab ipython/profile_default/startup
  touch fake/google/__init__.py
  echo '"""Stand-in for Colab'"'"'s google.colab package (.ci/colab-like.sh)."""' \
    > fake/google/colab/__init__.py
  echo 'import google.colab  # noqa: F401' > ipython/profile_default/startup/00-colab.py
  # The bootstrap runs `pip install git+https://github.com/...`: point git at this
  # checkout instead (its committed HEAD), so the install is the bootstrap's own command.
  url=$("$VENV/bin/python" - "$ROOT/book/04_local_response_normalization.ipynb" <<'PY'
import json, re, sys
source = "".join(json.load(open(sys.argv[1]))["cells"][1]["source"])
print(re.search(r'REPO_URL = "([^"]+)"', source).group(1))
PY
)
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0="url.$ROOT.insteadOf" GIT_CONFIG_VALUE_0="$url"
  export PYTHONPATH="$WORK/fake" IPYTHONDIR="$WORK/ipython" PATH="$VENV/bin:$PATH"
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider --nbval book/
  echo "colab-like: chapters 4, 7, 10 passed"
fi
echo "colab-like: done in $(( $(date +%s) - started )) s"
