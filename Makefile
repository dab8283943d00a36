# Two entry points for people: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MCV := $(BIN)/mcv

.PHONY: help demo test lint typecheck toolchains unit e2e schema bench clean

help:
	@echo "make demo       run mcv on the example submissions"
	@echo "make test       lint, type-check and run the whole test suite (e2e included)"
	@echo "make toolchains build the core, optimum and vision toolchains (docs/toolchains.md)"
	@echo "make e2e        the four workflow files under nektos/act, honest and hostile PRs"
	@echo "make schema     rewrite schema/manifest.v1.json from the models"
	@echo "make bench      print the figures under benchmarks/"
	@echo "make clean      remove .venv and generated files"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,runner]'
	@touch $@

demo: $(STAMP)
	@mkdir -p demo-out
	@echo "== mcv check submissions/   (real course tables: errors are expected)"
	@$(MCV) check submissions/ || test $$? -eq 1
	@echo
	@echo "== a pull request with a sloppy title that also edits the README and another team"
	@printf '%s\n' submissions/example_team/hw-2.yaml README.md submissions/effvit/hw-3.yaml \
		> demo-out/changed-files.txt
	@$(MCV) check submissions/example_team/hw-2.yaml --pr-title 'Example_Team hw 2' \
		--changed-files demo-out/changed-files.txt --author octocat || test $$? -eq 1
	@echo
	@echo "== mcv import: a hand-written README table (course seed 004) -> records and a draft"
	@rm -rf demo-out/imported
	@$(MCV) import tests/data/import/seed_004.md
	@$(MCV) import tests/data/import/seed_004.md --out demo-out/imported --team effvit --homework 3
	@echo
	@echo "== mcv reproduce: the built-in example (a ViT trained once on scikit-learn's digits)"
	@$(BIN)/python -m runner.demo
	@$(MCV) reproduce submissions/demo/hw-3.yaml --out demo-out --min-seconds 1 --build-toolchains
	@echo
	@echo "== mcv compare: reported vs reproduced -> demo-out/report.md, report.json, compare.png"
	@$(MCV) compare submissions/demo/hw-3.yaml demo-out/verification.json --out demo-out \
		> /dev/null || test $$? -eq 1
	@echo
	@echo "== mcv table: the leaderboard from the fresh record -> demo-out/course/README.md"
	@rm -rf demo-out/course && mkdir -p demo-out/course/results/demo
	@cp -r submissions demo-out/course/ && cp demo-out/verification.json demo-out/course/results/demo/hw-3.json
	@printf '# Demo course\n\n<!-- leaderboard:start -->\n<!-- leaderboard:end -->\n' > demo-out/course/README.md
	@$(MCV) table demo-out/course/README.md && $(MCV) grades --root demo-out/course --format md

test: lint typecheck unit e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --pedantic --quiet .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

typecheck: $(STAMP)
	$(BIN)/mypy

# The environments the optimum and timm recipes run in (docs/toolchains.md): built once
# into ~/.cache/mcv/toolchains (about 1 GiB and 6 GiB, a few minutes each), then reused.
toolchains: $(STAMP)
	$(MCV) toolchains build core optimum vision

unit: $(STAMP) toolchains
	MCV_REQUIRE_TOOLCHAINS=1 $(BIN)/pytest -q -m "not e2e"

# The workflows under a real engine (tests/e2e/README.md); about 10 minutes on 2 cores.
e2e: $(STAMP)
	$(BIN)/pytest -q -m e2e tests/e2e

schema: $(STAMP)
	$(MCV) schema > schema/manifest.v1.json

bench: $(STAMP)
	$(BIN)/python benchmarks/check_speed.py
	$(BIN)/python benchmarks/harness_overhead.py
	$(BIN)/python benchmarks/detection.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache .mypy_cache .hypothesis
