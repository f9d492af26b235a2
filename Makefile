.PHONY: demo demo-worker test bench docs

# Set up and run the demo at http://127.0.0.1:8000/ (SQLite; jobs inline with no token).
demo:
	scripts/demo

# The demo's worker on a local Hatchet engine; then `HATCHET_EMBEDDED=1 make demo` elsewhere.
demo-worker:
	scripts/demo-worker

# Set up and run every gate and the whole test suite (SQLite, PostgreSQL, Django 6).
test:
	scripts/test

# Every benchmark of docs/benchmarks.md, written there (not part of the test suite; ~35 min).
bench:
	scripts/bench

# Serve the documentation site at http://127.0.0.1:8001/ (mkdocs; rebuilt on each change). The
# pages are docs/*.md; `make test` builds them with --strict.
docs:
	scripts/venv
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs serve --dev-addr 127.0.0.1:8001
