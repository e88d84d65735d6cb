#!/usr/bin/env bash
# A free-threaded CPython (PEP 703, built with --disable-gil) for CI and for Linux users who have none.
#
# A learner who already has one (python.org's installer, uv, a distribution's python3.13t/3.14t)
# never needs this: `python -m lessons free-threaded --python PATH` takes any of them.
#
# It builds the newest python3.1x source package that Debian's archive serves (the archive this
# machine's own apt sources name), from the package's pristine upstream tarball, into a cache folder
# outside the checkout, and reuses a build that is already there. A private apt configuration (its
# own sources list, lists and cache) leaves the machine's apt sources as they are.
#
#   bash tools/free_threaded_python.sh          # prints the interpreter's path on its last line
#   LESSONS_FREE_THREADED_HOME=DIR bash ...      # another cache folder
set -euo pipefail

home="${LESSONS_FREE_THREADED_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/lessons/free-threaded}"
mkdir -p "$home"
started=$SECONDS
say() { printf '%s\n' "$*" >&2; }

is_free_threaded() {
    "$1" -c 'import sys, sysconfig; sys.exit(0 if sysconfig.get_config_var("Py_GIL_DISABLED") and not sys._is_gil_enabled() else 1)' 2>/dev/null
}

# A build that is already there: the newest version first.
for python in $(ls -d "$home"/python-3.*t/bin/python3.*t 2>/dev/null | sort -V -r); do
    if is_free_threaded "$python"; then
        say "free-threaded CPython already built: $("$python" -VV | head -1) ($((SECONDS - started)) s)"
        echo "$python"
        exit 0
    fi
done

# The archive this machine's apt uses for Debian (its main component), read from its own sources.
archive="$(
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }
             /^deb / && $2 ~ /debian\/?$/ { print $2; exit }
             /^deb \[/ && $3 ~ /debian\/?$/ { print $3; exit }' || true
)"
if [ -z "$archive" ]; then
    say "error: no Debian archive found in /etc/apt's sources; this script needs Debian's archive"
    exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

apt_dir="$home/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
# Newer suites first: a 3.14 or 3.15 source package there is tried before trixie's 3.13.
: >"$apt_dir/sources.list"
for suite in sid forky trixie; do
    echo "deb-src [signed-by=$keyring] $archive $suite main" >>"$apt_dir/sources.list"
done
apt_private=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/parts"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root"
    -o "Acquire::Retries=3"
)
say "reading the source packages' lists (a private apt configuration in $apt_dir)"
apt-get "${apt_private[@]}" update -qq >&2 || say "warning: some source lists could not be read"

# Source packages named python3.NN, newest version first.
candidates="$(
    for minor in 16 15 14 13; do
        apt-cache "${apt_private[@]}" showsrc "python3.$minor" 2>/dev/null |
            awk -v p="python3.$minor" '/^Package:/ {pkg=$2} /^Version:/ && pkg == p {print p "=" $2}'
    done | sort -t= -k2 -V -r -u
)"
if [ -z "$candidates" ]; then
    say "error: Debian's archive offers no python3.13 or newer source package here"
    exit 1
fi

work="$home/build"
fetched=""
for candidate in $candidates; do
    rm -rf "$work"
    mkdir -p "$work"
    say "fetching the source package $candidate"
    if (cd "$work" && apt-get "${apt_private[@]}" source --download-only -qq "$candidate" \
        >"$home/fetch.log" 2>&1); then
        fetched="$candidate"
        break
    fi
    why="$(grep -m1 -o '[0-9]\{3\}  *[A-Z][A-Za-z ]*[a-z]' "$home/fetch.log" || echo 'no answer')"
    say "  not served ($why); trying the next one"
done
if [ -z "$fetched" ]; then
    say "error: none of these source packages could be fetched: $candidates"
    exit 1
fi

orig="$(ls "$work"/*.orig.tar.* | head -1)"
say "unpacking $(basename "$orig") (upstream's source)"
tar -xf "$orig" -C "$work"
src="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'Python-*' | head -1)"
[ -n "$src" ] || src="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)"
version="$(sed -n 's/^#define PY_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' "$src/Include/patchlevel.h")"
prefix="$home/python-${version}t"

say "building CPython $version with --disable-gil into $prefix (several minutes)"
log="$home/build-$version.log"
(
    cd "$src"
    ./configure --disable-gil --prefix="$prefix" --with-ensurepip=install
    make -j"$(nproc)"
    rm -rf "$prefix"
    make install
) >"$log" 2>&1 || {
    say "error: the build failed; its last lines ($log):"
    tail -20 "$log" >&2
    exit 1
}
rm -rf "$work"

minor="$(echo "$version" | cut -d. -f1,2)"
python="$prefix/bin/python${minor}t"
if ! is_free_threaded "$python"; then
    say "error: $python was built but is not a free-threaded interpreter"
    exit 1
fi
say "built $("$python" -VV | head -1) in $((SECONDS - started)) s"
echo "$python"
