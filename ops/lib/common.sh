# Shared by the scripts in ops/: logging, failing loudly, and one way to call Compose.
# Sourced, never run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ROOT

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Root is needed for installing packages and starting the engine; elsewhere sudo does it.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The settings file every script reads; ops/test points it at its own isolated project's.
PORTAL_ENV_FILE=${PORTAL_ENV_FILE:-$ROOT/.env}
export PORTAL_ENV_FILE
# Build with the engine's own BuildKit: no buildx plugin is needed (or installed).
export COMPOSE_BAKE=false

# Every script talks to the same project the same way. COMPOSE_PROJECT_NAME, when set (ops/test
# sets it), picks another project than compose.yaml's own name. TLS mode adds compose.tls.yaml.
compose_files() {
    local files=$ROOT/compose.yaml
    grep -qE '^TLS_CERT_FILE=.+' "$PORTAL_ENV_FILE" 2>/dev/null && files+=:$ROOT/compose.tls.yaml
    echo "$files"
}
compose() {
    COMPOSE_FILE=$(compose_files) docker compose --project-directory "$ROOT" --env-file "$PORTAL_ENV_FILE" "$@"
}

# The host's Python tools (the test runner, the benchmark's load tool and the services' own
# packages for the unit tests) live in one venv, rebuilt only when a requirements file changed.
VENV=$ROOT/.venv
VENV_REQUIREMENTS=(tests/requirements.txt ops/lib/bench/requirements.txt services/django/requirements.txt
                   services/streamlit/requirements.txt services/probe/requirements.txt)
ensure_venv() {
    local stamp; stamp=$(cd "$ROOT" && cat "${VENV_REQUIREMENTS[@]}" | sha256sum | cut -c1-16)
    [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$stamp" ] || return 0
    say "installing the test and benchmark tools and the services' packages into .venv"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check $(printf -- '-r %s ' "${VENV_REQUIREMENTS[@]/#/$ROOT/}")
    echo "$stamp" >"$VENV/.requirements"
}

# Wait until a command succeeds, polling; fails with the given message after `seconds`.
wait_for() {
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${seconds}s waiting for $what"
        sleep 1
    done
}

# Where ops/bootstrap writes the pid of a dockerd it started itself (no init system here).
DOCKERD_PIDFILE=/run/partner-portal-dockerd.pid

# Stop the engine ops/bootstrap started; one an init system runs is left alone.
stop_engine() {
    [ -f "$DOCKERD_PIDFILE" ] || return 0
    local pid; pid=$(cat "$DOCKERD_PIDFILE")
    say "stopping the Docker engine this run started (pid $pid)"
    as_root kill "$pid" 2>/dev/null || true
    wait_for 60 "the Docker engine to stop" sh -c "! kill -0 $pid"
    as_root rm -f "$DOCKERD_PIDFILE"
}
