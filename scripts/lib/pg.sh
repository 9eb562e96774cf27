# Throwaway PostgreSQL cluster for tests and benchmarks (sourced by scripts/test, scripts/bench).
# pg_start: starts a cluster in a temp directory on a free loopback port and exports
# VALHALLA_PG_ADMIN_URL; pg_stop (installed as an EXIT trap) stops it and removes the directory.
# pg_start returns 1 when no PostgreSQL server binaries are installed.

PG_DIR=""
PG_PID=""

pg_find_bin() {
  local candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ] && echo "$candidate" && return 0
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

pg_stop() {
  # The cluster may have been restarted (fault tests): use its current pid.
  [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] && PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
  if [ -n "$PG_PID" ]; then
    kill "$PG_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    PG_PID=""
  fi
  if [ -n "$PG_DIR" ]; then
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

# pg_start [extra server settings…]
# Also sets PG_START_CMD and PG_STOP_CMD: shell commands (for `sh -c`) that start the cluster
# again with the same settings, and stop it at once (fault tests).
pg_start() {
  local bin port as_owner=""
  bin=$(pg_find_bin) || return 1
  PG_DIR=$(mktemp -d /tmp/valhalla-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  trap pg_stop EXIT
  port=$(pg_free_port)
  pg_as_owner "'$bin/initdb' -D '$PG_DIR/data' -A trust -U postgres --no-sync" >/dev/null
  local ctl="'$bin/pg_ctl' -D '$PG_DIR/data' -l '$PG_DIR/log' -w"
  local opts="-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 $*"
  [ "$(id -u)" = 0 ] && as_owner="su postgres -s /bin/sh -c "
  PG_START_CMD="$as_owner\"$ctl -o '$opts' start\" >/dev/null"
  PG_STOP_CMD="$as_owner\"$ctl -m immediate stop\" >/dev/null"
  [ -n "$as_owner" ] || { PG_START_CMD="$ctl -o '$opts' start >/dev/null"; PG_STOP_CMD="$ctl -m immediate stop >/dev/null"; }
  sh -c "$PG_START_CMD"
  PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
  export VALHALLA_PG_ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "throwaway PostgreSQL on 127.0.0.1:$port (pid $PG_PID)"
}
