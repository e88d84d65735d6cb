#!/usr/bin/env bash
# Refresh constraints.txt: the exact versions a fresh venv gets from requirements-dev.txt today,
# and constraints-free-threaded.txt: the same for the free-threaded kernel (see its last part).
# Non-interactive, from anywhere: bash tools/refresh_constraints.sh  (then run the tests, commit).
# The requirements are resolved WITHOUT the current pins (copies of the two files minus their -c
# line), so each package may move to the newest version they allow, and a package added to them
# is pinned too. The Python must be the one runtime.txt names (PYTHON=python3.11 to choose one).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"

want="$(sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' runtime.txt)"
have="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$want" != "$have" ]; then
    echo "runtime.txt says Python $want, but $python is $have: set PYTHON=python$want" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip)
"${pip[@]}" install --quiet --upgrade pip
for file in requirements.txt requirements-dev.txt; do
    grep -vE '^[[:space:]]*(-c|--constraint)([[:space:]=]|$)' "$file" >"$work/$file"
done
# From the repository's root: its `-e .` is the lessons package here (pip reads it from the
# working directory), while -r is read beside the file, the copy without pins.
"${pip[@]}" install --quiet -r "$work/requirements-dev.txt"

{
    echo "# Exact versions of every package that a fresh venv gets from requirements-dev.txt: the"
    echo "# ones the tests passed with. requirements.txt applies them (-c constraints.txt), so every"
    echo "# install gets what passed CI. Made by tools/refresh_constraints.sh, not by hand; refresh:"
    echo "#     bash tools/refresh_constraints.sh"
    echo "# (a fresh venv, the requirements without these pins, pip freeze --exclude-editable), then"
    echo "# run the tests and commit this file. Python $("$work/venv/bin/python" -c \
        'import platform; print(platform.python_version(), platform.system(), platform.machine())')."
    "${pip[@]}" freeze --exclude-editable
} >"$work/constraints.txt"
mv "$work/constraints.txt" constraints.txt
echo "constraints.txt: $(grep -cv '^#' constraints.txt) packages pinned."

# The free-threaded kernel's side (requirements-free-threaded.txt), resolved the same way on a
# free-threaded interpreter: FREE_THREADED_PYTHON=..., else the one tools/free_threaded_python.sh
# gives (built once, then reused).
ft_python="${FREE_THREADED_PYTHON:-$(bash tools/free_threaded_python.sh | tail -1)}"
"$ft_python" -m venv "$work/ft-venv"
ft_pip=("$work/ft-venv/bin/python" -m pip)
"${ft_pip[@]}" install --quiet --upgrade pip
grep -vE '^[[:space:]]*(-c|--constraint)([[:space:]=]|$)' requirements-free-threaded.txt \
    >"$work/requirements-free-threaded.txt"
# --prefer-binary: a package's newest release may have no free-threaded wheel yet, and its
# source build may need the internet (matplotlib's downloads freetype).
"${ft_pip[@]}" install --quiet --prefer-binary -r "$work/requirements-free-threaded.txt" -e .
{
    echo "# Exact versions of the free-threaded kernel's packages (requirements-free-threaded.txt),"
    echo "# resolved on a free-threaded interpreter with --prefer-binary; python -m lessons"
    echo "# free-threaded applies them (on this minor version; on another, the newest releases)."
    echo "# Made by tools/refresh_constraints.sh, not by hand. Python $("$work/ft-venv/bin/python" \
        -c 'import platform; print(platform.python_version() + "t", platform.system(), platform.machine())')."
    "${ft_pip[@]}" freeze --exclude-editable
} >"$work/constraints-free-threaded.txt"
mv "$work/constraints-free-threaded.txt" constraints-free-threaded.txt
echo "constraints-free-threaded.txt: $(grep -cv '^#' constraints-free-threaded.txt) packages pinned."
