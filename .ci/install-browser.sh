#!/usr/bin/env bash
# What tests_book/test_browser.py needs, installed once; a second run does nothing:
#   - Debian's chromium (/usr/bin/chromium): the test drives it headless, offline;
#   - the Python package playwright in the virtual environment, which drives that
#     chromium (never `playwright install`: it downloads a browser build, which fails here);
#   - a local copy of the ipywidgets embed scripts from the npm registry
#     (@jupyter-widgets/html-manager's dist/embed-amd.js, requirejs's require.js) in
#     _build/widget-js/ (git-ignored), which the test's build of the book serves instead
#     of the CDN copies that the published book loads.
# Run as root (apt-get), after `make install` (it uses .venv), from anywhere:
#   bash .ci/install-browser.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
if [ ! -x "$PYTHON" ]; then
  echo "install-browser: no $PYTHON: run 'make install' first" >&2
  exit 1
fi
WIDGET_JS=_build/widget-js
# html-manager 1.0.x renders the widget state that ipywidgets 8 saves; require.js loads it
HTML_MANAGER=@jupyter-widgets/html-manager@1.0.15
REQUIREJS=requirejs@2.3.8

have_chromium() { [ -x /usr/bin/chromium ]; }
have_playwright() { "$PYTHON" -c "import playwright.sync_api" 2>/dev/null; }
have_widget_js() { [ -s "$WIDGET_JS/embed-amd.js" ] && [ -s "$WIDGET_JS/require.js" ]; }

if have_chromium && have_playwright && have_widget_js; then
  echo "install-browser: chromium, playwright and $WIDGET_JS are in place"
  exit 0
fi

if ! have_chromium; then
  echo "install-browser: apt-get install chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! have_playwright; then
  echo "install-browser: pip install playwright"
  "$PYTHON" -m pip install -q "playwright>=1.40"
fi

if ! have_widget_js; then
  echo "install-browser: npm pack $HTML_MANAGER $REQUIREJS -> $WIDGET_JS"
  if ! command -v npm >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$HTML_MANAGER" "$REQUIREJS" >/dev/null)
  mkdir -p "$tmp/html-manager" "$tmp/requirejs"
  tar -xzf "$tmp"/jupyter-widgets-html-manager-*.tgz -C "$tmp/html-manager"
  tar -xzf "$tmp"/requirejs-*.tgz -C "$tmp/requirejs"
  rm -rf "$WIDGET_JS.partial"
  mkdir -p "$WIDGET_JS.partial"
  cp "$tmp"/html-manager/package/dist/embed-amd.js "$WIDGET_JS.partial/"
  cp "$tmp"/requirejs/package/require.js "$WIDGET_JS.partial/"
  echo "$HTML_MANAGER $REQUIREJS" >"$WIDGET_JS.partial/VERSIONS"
  rm -rf "$WIDGET_JS"
  mv "$WIDGET_JS.partial" "$WIDGET_JS"
fi
echo "install-browser: done"
