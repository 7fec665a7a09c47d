#!/usr/bin/env bash
# Developer entry point: sets up .venv (and Chromium for tests) on a fresh Debian machine,
# then serves the example knowledge base or runs the whole check suite. Safe to re-run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

# PMKB_VENV and PMKB_UNPINNED exist for `refresh-constraints`, which tests the newest releases
# in a venv of its own.
readonly VENV=${PMKB_VENV:-.venv}
# The exact versions the suite was last green with: a fresh machine installs these, so main
# cannot turn red because a dependency released something new.
readonly CONSTRAINTS=constraints.txt
# Holds the hash of what was last installed, so re-runs skip pip unless it changed.
readonly INSTALL_STAMP="$VENV/.pmkb-installed"
readonly CHROMIUM=/usr/bin/chromium

usage() {
    cat <<'EOF'
usage: ./dev.sh COMMAND [ARGS...]

  serve         set up, then build and serve the internal site on http://127.0.0.1:8000/
                and the public one on http://127.0.0.1:8001/, both live (Ctrl-C stops both)
  test [ARGS]   set up (incl. Chromium), run ruff, mypy, then pytest -n 2 [ARGS]
  bench         set up, run every benchmarks/*.py
  refresh-constraints
                install the newest releases into a fresh venv, run the whole suite
                there, and only if it passes write their versions to constraints.txt
EOF
}

die() {
    echo "dev.sh: $*" >&2
    exit 1
}

apt_install() {
    local as_root=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "need root (or sudo) to apt-get install $*"
        as_root=(sudo)
    fi
    echo "dev.sh: installing Debian packages: $*" >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

ensure_venv() {
    # pip is installed last, so its presence marks a complete venv.
    [[ -x $VENV/bin/python && -x $VENV/bin/pip ]] && return
    rm -rf "$VENV"
    python3 -m venv "$VENV" && return
    # Debian ships venv's pip bootstrap (ensurepip) separately from python3.
    rm -rf "$VENV"
    apt_install python3-venv
    python3 -m venv "$VENV" || {
        rm -rf "$VENV"
        die "could not create $VENV with python3"
    }
}

ensure_installed() {
    local wanted pins=(-c "$CONSTRAINTS")
    [[ ${PMKB_UNPINNED:-} == 1 ]] && pins=()
    wanted=$(cat setup.py "${pins[@]:1}" | sha256sum)
    [[ -f $INSTALL_STAMP && $(<"$INSTALL_STAMP") == "$wanted" ]] && return
    echo "dev.sh: installing postmortem-kb and test tools into $VENV ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" -e '.[test]'
    echo "$wanted" >"$INSTALL_STAMP"
}

ensure_chromium() {
    [[ -x $CHROMIUM ]] || apt_install chromium
}

setup() {
    ensure_venv
    ensure_installed
}

server_pids=()

signal_servers() {
    local pid
    # Each server runs in its own process group (set -m): this reaches any child it spawned.
    for pid in "${server_pids[@]}"; do
        kill "-$1" -- "-$pid" 2>/dev/null || true
    done
}

servers_running() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill -0 -- "-$pid" 2>/dev/null && return 0
    done
    return 1
}

stop_servers() {
    trap - INT TERM EXIT
    # SIGINT lets mkdocs clean up; SIGTERM for a server that ignores it (e.g. when this script
    # itself was started with SIGINT ignored, which its children inherit).
    signal_servers INT
    for _ in {1..50}; do
        servers_running || break
        sleep 0.1
    done
    signal_servers TERM
    wait || true
}

cmd_serve() {
    setup
    trap stop_servers EXIT
    trap 'stop_servers; exit 130' INT TERM
    # Job control: servers get their own process groups, so Ctrl-C reaches only this script,
    # which then stops both of them.
    set -m
    "$VENV/bin/pmkb" serve &
    server_pids+=("$!")
    "$VENV/bin/pmkb" serve --audience public --dev-addr 127.0.0.1:8001 &
    server_pids+=("$!")
    set +m
    echo "internal: http://127.0.0.1:8000/"
    echo "public:   http://127.0.0.1:8001/"
    echo "Ctrl-C stops both."
    # When one server stops on its own (e.g. its port is taken), stop the other too.
    local status=0
    wait -n || status=$?
    stop_servers
    return "$status"
}

cmd_test() {
    setup
    ensure_chromium
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy"
    local status=0
    "$VENV/bin/pytest" -n 2 "$@" || status=$?
    if ((status == 5)); then
        echo "dev.sh: pytest collected no tests (exit 5); that is a failure" >&2
    fi
    return "$status"
}

cmd_refresh_constraints() {
    local venv=.venv-refresh
    rm -rf "$venv"
    echo "dev.sh: testing the newest releases in $venv ..." >&2
    PMKB_VENV=$venv PMKB_UNPINNED=1 "$0" test "$@"
    {
        echo "# Exact versions the whole suite last passed with; written by"
        echo "# ./dev.sh refresh-constraints on $(date -u +%Y-%m-%d) with $("$venv/bin/python" --version)."
        "$venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check
    } >"$CONSTRAINTS"
    rm -rf "$venv"
    echo "dev.sh: wrote $CONSTRAINTS; commit it with the change that needed it" >&2
}

cmd_bench() {
    setup
    shopt -s nullglob
    local benchmarks=(benchmarks/*.py) benchmark
    ((${#benchmarks[@]})) || die "no benchmarks/*.py to run"
    for benchmark in "${benchmarks[@]}"; do
        echo "== $benchmark" >&2
        "$VENV/bin/python" "$benchmark"
    done
}

main() {
    local command=${1:-}
    (($#)) && shift
    case $command in
        serve) cmd_serve ;;
        test) cmd_test "$@" ;;
        bench) cmd_bench ;;
        refresh-constraints) cmd_refresh_constraints "$@" ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
