# Sourced by the scripts: make .venv with the project and its test extras installed.
VENV="${ASSETMATCH_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import data.contract, lightfm, implicit, faiss, pytest" 2>/dev/null \
   || [ setup.cfg -nt "$VENV/.installed" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
  "$VENV/bin/python" -m pip install --quiet -e '.[test]'
  touch "$VENV/.installed"
fi
