# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install messages migrate demo clean screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Compile the translation catalogues (outlet/locale/*/LC_MESSAGES/django.po -> .mo; GNU gettext's msgfmt).
messages: install
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (apt-get install gettext)"; exit 1; }
	$(BIN)/python manage.py compilemessages --ignore='.venv' --ignore='var' -v 0

migrate: messages
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo_content

## Run the site at http://127.0.0.1:8000 with a real Celery worker (embedded default: SQLite, filesystem broker).
run: demo
	$(BIN)/python manage.py run_local

## Check the formatting and lint (pyproject's [tool.ruff]), the types (mypy with django-stubs; --strict on the
## payment pipeline, receipts and every services.py) and the allowed imports between the parts (pyproject's
## [tool.importlinter]), then run the whole test suite (CI sets DATABASE_URL and REDIS_URL to the real PostgreSQL
## and Redis).
STRICT_TYPED := outlet/payments outlet/receipts outlet/publishing/services.py members/services.py donations/services.py \
	outlet/newsletters/services.py outlet/newsletters/sending.py outlet/newsletters/audience.py
test: messages
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m mypy --follow-imports=silent outlet members donations
	$(BIN)/python -m mypy --strict --follow-imports=silent $(STRICT_TYPED)
	$(BIN)/lint-imports --no-logo --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Full-page PNGs of every reader-, member- and donor-facing page at 375 and 1280 px, as an anonymous reader, a
## member and a donor, in var/screenshots/ (page-width-user.png). Needs Debian's chromium (apt-get install chromium).
screenshots: messages
	rm -rf var/screenshots
	OUTLET_SCREENSHOTS=var/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/test_screenshots.py
	@echo "$$(ls var/screenshots | wc -l) screenshots in var/screenshots/"

## Every benchmark in bench/ in turn, then one table against Issue 16's goals (also bench/results/TABLE.md). Needs wrk
## and haproxy; takes an hour or more. `make bench-quick`: small sizes, a smoke run of ~15 minutes. Pass options in
## BENCH_ARGS, e.g. BENCH_ARGS="--only article_load,receipts" or "--table-only" (see bench/run_all.py).
.PHONY: bench bench-quick
bench: messages
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

bench-quick: messages
	$(BIN)/python bench/run_all.py --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache
