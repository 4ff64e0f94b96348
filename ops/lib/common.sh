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
# The compose files a project's .env asks for; the Python stack helper asks this function too.
compose_files() {
    local files=$ROOT/compose.yaml
    grep -qE '^TLS_CERT_FILE=.+' "$PORTAL_ENV_FILE" 2>/dev/null && files+=:$ROOT/compose.tls.yaml
    grep -qE '^EMAIL_HOST=.+' "$PORTAL_ENV_FILE" 2>/dev/null && files+=:$ROOT/compose.mail.yaml
    echo "$files"
}
compose() {
    COMPOSE_FILE=$(compose_files) docker compose --project-directory "$ROOT" --env-file "$PORTAL_ENV_FILE" "$@"
}

# The host's Python tools (the test runner, the benchmark's load tool and the services' own
# packages for the unit tests) live in one venv, rebuilt only when a requirements file changed.
VENV=$ROOT/.venv
VENV_REQUIREMENTS=(tests/requirements.txt bench/requirements.txt services/django/requirements.txt
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

# For ops/test and ops/bench: set the host up, remembering whether the engine already ran. When
# the script exits, pass or fail, its isolated project (if any) is removed, and an engine it
# started is stopped: CI leaves the machine as it found it.
bootstrap_host() {
    ENGINE_WAS_RUNNING=yes
    docker info >/dev/null 2>&1 || ENGINE_WAS_RUNNING=
    trap clean_up_on_exit EXIT
    trap 'exit 130' INT TERM
    "$ROOT/ops/bootstrap"
}

# An isolated compose project: its own name, a free port on 127.0.0.1, its own front subnet,
# volumes and fresh secrets, beside any other stack on the host. Exports COMPOSE_PROJECT_NAME,
# PORTAL_ENV_FILE and PORTAL_PORT for the ops scripts and tests that follow.
#   isolated_project NAME SUBNET [NAME=VALUE ...]   (further settings for its .env)
isolated_project() {
    local name=$1 subnet=$2; shift 2
    ISOLATED_WORKDIR=$(mktemp -d)
    PORTAL_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export COMPOSE_PROJECT_NAME=$name PORTAL_ENV_FILE=$ISOLATED_WORKDIR/$name.env PORTAL_PORT
    python3 "$ROOT/ops/lib/envfile.py" create "$ROOT/.env.example" "$PORTAL_ENV_FILE" \
        PORTAL_BIND=127.0.0.1 PORTAL_PORT="$PORTAL_PORT" FRONT_SUBNET="$subnet" "$@"
    remove_project  # what a killed run may have left
}

# The project, its volumes, and the containers tests and benchmarks start beside it (from its
# images, or as clients on its front network).
remove_project() {
    local extra
    extra=$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
            docker ps -aq --filter "name=^$COMPOSE_PROJECT_NAME-client-")
    [ -z "$extra" ] || docker rm -f $extra >/dev/null
    compose down -v --remove-orphans --timeout 5 >/dev/null 2>&1
}

clean_up_on_exit() {
    local status=$?
    if [ -n "${ISOLATED_WORKDIR:-}" ]; then
        say "removing project $COMPOSE_PROJECT_NAME"
        remove_project || warn "could not remove $COMPOSE_PROJECT_NAME"
        rm -rf "$ISOLATED_WORKDIR"
    fi
    [ -n "${ENGINE_WAS_RUNNING-yes}" ] || stop_engine
    exit "$status"
}

# With STACK_NAME set, ops/scale and ops/backup address that Swarm stack (ops/deploy) on the
# engine the docker CLI points at, instead of the compose project.
#   stack_container SERVICE   the id of a running container of the stack's SERVICE on that engine
stack_container() {
    docker ps -q --filter "label=com.docker.swarm.service.name=${STACK_NAME}_$1" --filter status=running | head -n 1
}
