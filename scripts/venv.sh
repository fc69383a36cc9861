# Sourced by the scripts: make .venv with the project and its test extras installed.
#
# The installers' own output (venv, pip, the build of LightFM's extension) goes to a log file, not
# the terminal: what a person reads after `bash scripts/demo.sh` is the keys and addresses, not
# a few hundred lines of pip. When an install fails, the log's tail is printed and the script stops.
VENV="${ASSETMATCH_VENV:-.venv}"
INSTALL_LOG="${ASSETMATCH_INSTALL_LOG:-instance/install.log}"

_assetmatch_install() {
  mkdir -p "$(dirname "$INSTALL_LOG")"
  : > "$INSTALL_LOG"
  echo "installing AssetMatch into $VENV (a few minutes the first time; log: $INSTALL_LOG)"
  if { [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"; } >>"$INSTALL_LOG" 2>&1 \
     && "$VENV/bin/python" -m pip install --upgrade pip setuptools wheel >>"$INSTALL_LOG" 2>&1 \
     && "$VENV/bin/python" -m pip install -e '.[test]' >>"$INSTALL_LOG" 2>&1; then
    touch "$VENV/.installed"
    return 0
  fi
  echo "installing into $VENV failed; the end of $INSTALL_LOG:" >&2
  tail -n 30 "$INSTALL_LOG" >&2
  return 1
}

if [ ! -x "$VENV/bin/python" ] \
   || ! "$VENV/bin/python" -c "import data.contract, lightfm, lightgbm, implicit, faiss, pytest" 2>/dev/null \
   || [ setup.cfg -nt "$VENV/.installed" ]; then
  _assetmatch_install || exit 1
fi
