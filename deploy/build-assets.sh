#!/bin/sh
# What the image does at build time (deploy/Dockerfile) and a buildpack's release step can do too: compile the
# translation catalogues and collect the static files, hashed and compressed, into $STATIC_ROOT. Needs no database,
# no secrets and no network: it runs under the local profile with the production static storage.
set -eu
cd "$(dirname "$0")/.."
export OUTLET_ENV=local STATIC_MANIFEST=true OUTLET_VAR_DIR="${OUTLET_VAR_DIR:-$(mktemp -d)}"
: "${STATIC_ROOT:?set STATIC_ROOT to where the static files go}"
python manage.py compilemessages --ignore=.venv --ignore=var -v 0
python manage.py collectstatic --noinput -v 0
echo "build-assets: catalogues compiled, static files in $STATIC_ROOT"
