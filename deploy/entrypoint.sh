#!/bin/sh
# One image, one role per container: `web`, `worker`, `beat`, `release` (migrations, run once per deploy before the
# others start), `healthcheck` (the runtime's probe of a web container), or any command. Every setting comes from the environment (README: Deploying beyond one machine).
set -eu
cd "$(dirname "$0")/.."
role="${1:-web}"
case "$role" in
  web)
    exec gunicorn outlet.wsgi:application --worker-class gthread --workers "${WEB_WORKERS:-2}" \
      --threads "${WEB_THREADS:-8}" --timeout 30 --bind "0.0.0.0:${PORT:-8000}" --access-logfile - \
      --max-requests 100000 --max-requests-jitter 50000
    ;;
  worker)
    # WORKER_QUEUES: the queues this worker serves (default: the one queue every task goes to).
    exec celery -A outlet worker --loglevel=INFO --concurrency "${WORKER_CONCURRENCY:-2}" \
      ${WORKER_QUEUES:+-Q "$WORKER_QUEUES"}
    ;;
  beat)
    # At most one beat runs: a second container waits as a standby (outlet/common/management/commands/run_beat.py).
    exec python manage.py run_beat --standby
    ;;
  release)
    exec python manage.py migrate --noinput
    ;;
  healthcheck)
    # For the container runtime: this container's own /healthz, asked as the site (ALLOWED_HOSTS' first name).
    exec python -c '
import os, sys, urllib.request
host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
port = os.environ.get("PORT", "8000")
request = urllib.request.Request("http://127.0.0.1:" + port + "/healthz", headers={"Host": host})
try:
    sys.exit(0 if urllib.request.urlopen(request, timeout=4).status == 200 else 1)
except Exception as problem:
    print(f"healthcheck: {problem}", file=sys.stderr)
    sys.exit(1)
'
    ;;
  *)
    exec "$@"
    ;;
esac
