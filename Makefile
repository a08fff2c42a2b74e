SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Every tool is pinned in tools/requirements/*.txt (complete, pre-resolved: installed with
# --no-deps, so pip never backtracks) and lives in its own venv under .tools/.
PYTHON ?= python3
TOOLS := .tools
VENVS := lambda aws sam checkov lint
CARGO_TOOLS := $(TOOLS)/cargo
ARM64_TARGET := $(TOOLS)/.rustup-aarch64
export PATH := $(CURDIR)/$(TOOLS)/lambda/bin:$(CURDIR)/$(CARGO_TOOLS)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
AWS := $(TOOLS)/aws/bin/aws
SAM := $(TOOLS)/sam/bin/sam
OHA := $(CARGO_TOOLS)/bin/oha
CARGO_DENY := $(CARGO_TOOLS)/bin/cargo-deny
CARGO_MUTANTS := $(CARGO_TOOLS)/bin/cargo-mutants
WEB_INSTALLED := web/node_modules/.installed
CHROMIUM := /usr/bin/chromium
# ---- variables: make help lists each `VAR ?= default ## meaning`, and each `#: VAR default ## meaning`
# (a variable the scripts default themselves, or one computed here) --------------------------------

PROPTEST_CASES ?= 256 ## property-test cases per property in make test
FUZZ_CASES ?= 20000 ## property-test cases per property in make fuzz
#: STACK local-or-aws ## user/token/call/web-config: local while a local stack runs (.local/stack.env), else aws
ifeq ($(origin STACK),undefined)
STACK := $(if $(wildcard .local/stack.env),local,aws)
STACK_DEFAULTED := 1
endif
STACK_NAME ?= hello-api ## the deployed CloudFormation stack
API ?= http ## make call: http (HTTP API, JWT authorizer) or rest (REST API, Cognito authorizer)
COGNITO ?= local ## make local: local (the Cognito emulator) or aws (the deployed stack's pool, real tokens)
API_PORT ?= 3000 ## make local: the HTTP API's port (other APIs: free ports from here up)
REST_API_PORT ?= 3001 ## make local: the REST API's port
COGNITO_PORT ?= 9229 ## make local: the Cognito emulator's port
FUNCTION_PORT ?= 9000 ## make local/watch: cargo lambda watch's invoke port
WEB_PORT ?= 5173 ## make local/web-dev: the web app's port
#: USERNAME user-a ## make user/token: the walkthrough's user
#: EMAIL usera@example.com ## make user: its email
#: USER_PASSWORD (prompt) ## make user/token on AWS: the password (the local stack has its own)
#: TOKEN_USE id ## make token: id or access
#: USER_POOL (template's first) ## make token/call on a local stack of another template: the pool's logical id
#: LOAD_DURATION 10 ## make load: seconds per phase
#: BENCH_BEFORE (none) ## make bench: also measure the local gateway of this commit, in the same run
#: MUTANTS_ARGS (none) ## make mutants / mutants-readers: more cargo-mutants options (e.g. -f <file>)
#: ADVISORY_SNAPSHOT ../shared/advisory-db ## make audit: a RustSec advisory-db snapshot to check offline against
# A value keeps the spaces before its `##`: drop them.
$(foreach v,PROPTEST_CASES FUZZ_CASES STACK_NAME API COGNITO API_PORT REST_API_PORT COGNITO_PORT FUNCTION_PORT WEB_PORT,\
	$(eval $(v) := $(strip $($(v)))))
export STACK STACK_NAME API COGNITO API_PORT REST_API_PORT COGNITO_PORT FUNCTION_PORT WEB_PORT

.PHONY: help tools tools-bench build test lint unit emulator-test e2e template-check deploy-check corpus-check sam-build watch invoke local \
	web-install web-lint web-dev web-config browser-test compare-emulators compare \
	deploy user token call delete bench bench-stack bench-smoke load audit fuzz mutants mutants-readers clean

help: ## List the targets and the variables
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@printf '\nVariables (make <target> VAR=value), with their defaults:\n'
	@awk '/^[A-Z_]+ \?= .* ## / {split($$0, p, " ## "); n = index(p[1], "?="); \
			printf "  %-18s %-24s %s\n", substr(p[1], 1, n - 2), substr(p[1], n + 3), p[2]} \
		/^#: [A-Z_]+ / {split(substr($$0, 4), p, " ## "); n = index(p[1], " "); \
			printf "  %-18s %-24s %s\n", substr(p[1], 1, n - 1), substr(p[1], n + 1), p[2]}' $(MAKEFILE_LIST)

# ---- tools -------------------------------------------------------------------------------------

$(TOOLS)/%/.installed: tools/requirements/%.txt
	rm -rf $(TOOLS)/$*
	$(PYTHON) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/pip install --quiet --disable-pip-version-check --no-deps -r $<
	$(TOOLS)/$*/bin/pip check --disable-pip-version-check >/dev/null
	touch $@

$(ARM64_TARGET):
	rustup target add aarch64-unknown-linux-gnu
	mkdir -p $(TOOLS) && touch $@

# Rust tools from crates.io, pinned, built into .tools/cargo.
$(OHA):
	cargo install --quiet --locked --root $(CARGO_TOOLS) oha --version 1.16.0
$(CARGO_DENY):
	cargo install --quiet --locked --root $(CARGO_TOOLS) cargo-deny --version 0.20.2
$(CARGO_MUTANTS):
	cargo install --quiet --locked --root $(CARGO_TOOLS) cargo-mutants --version 27.1.0

tools: $(foreach v,$(VENVS),$(TOOLS)/$(v)/.installed) $(ARM64_TARGET) $(CARGO_DENY) $(WEB_INSTALLED) $(CHROMIUM) ## Install every tool make test needs (pinned, into .tools/)

tools-bench: $(OHA) ## Install oha, the load generator of make bench and make load

# Headless Chromium for the browser tests: Debian's package (playwright-core drives it; nothing
# downloads a browser of its own).
$(CHROMIUM):
	@if [[ $$(id -u) != 0 ]]; then \
		echo "Chromium is not installed; the browser tests need it. As root, run:" >&2; \
		echo "  apt-get update && apt-get install -y chromium" >&2; \
		exit 1; \
	fi
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

# ---- the function ------------------------------------------------------------------------------

build: $(TOOLS)/lambda/.installed $(ARM64_TARGET) ## Build the arm64 release bootstrap with cargo-lambda
	cargo lambda build --release --arm64 --bin hello
	@ls -l target/lambda/hello/bootstrap

watch: $(TOOLS)/lambda/.installed ## Run the function under cargo lambda watch on 127.0.0.1:$FUNCTION_PORT
	cargo lambda watch --invoke-address 127.0.0.1 --invoke-port $(FUNCTION_PORT)

invoke: $(TOOLS)/lambda/.installed ## Send every events/*.json to the running watch
	@for event in events/*.json; do \
		echo "== $$event"; \
		cargo lambda invoke hello --data-file "$$event" --invoke-address 127.0.0.1 --invoke-port $(FUNCTION_PORT); \
		echo; \
	done

# ---- the local stack ---------------------------------------------------------------------------

# The web app is this project's, so it starts by default only for the project's template.
TEMPLATE ?= template.yaml ## make local: the SAM template to serve (its pools, functions and APIs)
TEMPLATE := $(strip $(TEMPLATE))
#: WEB 1-for-template.yaml ## make local: 1 starts the web app, 0 does not
WEB ?= $(if $(filter template.yaml ./template.yaml,$(TEMPLATE)),1,0)
export TEMPLATE

local: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(if $(filter 1,$(WEB)),$(WEB_INSTALLED)) ## Cognito, the functions, every API and the web app, offline (TEMPLATE=, COGNITO=aws; Ctrl-C stops; docs/local-stack.md)
	WEB=$(WEB) scripts/local-stack.sh

# ---- the web app -------------------------------------------------------------------------------

# npm ci: exactly the lock file's packages, into web/node_modules (web/.npmrc keeps download URLs
# out of the lock: npm takes each package from the configured registry and checks its sha512).
$(WEB_INSTALLED): web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-install: $(WEB_INSTALLED) ## Install the web app's pinned npm packages into web/node_modules

web-lint: $(WEB_INSTALLED) ## Web app: lock file check, type check, production build (fails above 150 kB gzipped)
	cd web && node scripts/check-lock.mjs
	cd web && npm run --silent build

web-dev: $(WEB_INSTALLED) ## Serve the web app alone on localhost:$WEB_PORT with its current config.json (see web-config)
	cd web && npm run dev -- --port $(WEB_PORT)

web-config: $(TOOLS)/aws/.installed ## Write web/public/config.json from the deployed stack (STACK=local: from .local/stack.env)
	scripts/web-config.sh $(STACK)

browser-test: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(WEB_INSTALLED) $(CHROMIUM) ## The web app in headless Chromium against the real local stack
	scripts/browser-test.sh

# ---- AWS ---------------------------------------------------------------------------------------

deploy: $(TOOLS)/sam/.installed $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(ARM64_TARGET) ## sam build + sam deploy (guided the first time)
	$(SAM) build
	@if $(AWS) cloudformation describe-stacks --stack-name $(STACK_NAME) >/dev/null 2>&1; then \
		$(SAM) deploy --stack-name $(STACK_NAME); \
	else \
		$(SAM) deploy --guided --stack-name $(STACK_NAME); \
	fi

user: $(TOOLS)/aws/.installed ## Create the walkthrough's user (USERNAME, EMAIL; password from USER_PASSWORD or a prompt)
	@STACK_DEFAULTED=$(STACK_DEFAULTED) scripts/walkthrough.sh user

token: $(TOOLS)/aws/.installed ## Print an ID token (TOKEN_USE=access for the access token)
	@STACK_DEFAULTED=$(STACK_DEFAULTED) scripts/walkthrough.sh token

call: $(TOOLS)/aws/.installed ## GET /hello without, then with, the ID token (API=http|rest)
	@STACK_DEFAULTED=$(STACK_DEFAULTED) scripts/walkthrough.sh call

delete: $(TOOLS)/sam/.installed ## Delete the deployed stack
	$(SAM) delete --stack-name $(STACK_NAME)

# ---- checks ------------------------------------------------------------------------------------

test: lint deploy-check corpus-check unit emulator-test e2e browser-test sam-build bench-smoke audit ## Everything CI runs

lint: template-check web-lint $(TOOLS)/lint/.installed ## Every language: fmt + clippy, shellcheck, ruff, the templates, the web app's type check
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	@# Every bash script (.shellcheckrc: follow `source`), sourced ones included.
	$(TOOLS)/lint/bin/shellcheck $$(git ls-files -co --exclude-standard '*.sh' .ci/run)
	$(TOOLS)/lint/bin/ruff check $$(git ls-files -co --exclude-standard '*.py')
	$(TOOLS)/lint/bin/ruff format --check $$(git ls-files -co --exclude-standard '*.py')
	@# The one JavaScript file outside web/ (web-lint type-checks web's): syntax only.
	node --check tools/compare/serverless/handler.js

unit: ## Unit, fixture and property tests (no network, no tools)
	PROPTEST_CASES=$(PROPTEST_CASES) cargo test --workspace --locked

emulator-test: $(TOOLS)/aws/.installed ## The Cognito emulator (SRP, managed login) against its real server on loopback
	$(TOOLS)/aws/bin/python -m unittest discover -s scripts -p 'test_*.py' -v

# Not in make test: it starts each emulator several times (about a minute). docs/cognito-emulator.md.
compare-emulators: $(TOOLS)/aws/.installed $(TOOLS)/ministack/.installed ## The Cognito emulator beside ministack (pinned): fidelity, ids, start time, size
	$(TOOLS)/aws/bin/python tools/compare-emulators/compare.py --report target/compare-emulators.md

# Not in make test: three tools side by side, a few minutes (docs/comparison.md). serverless-offline
# comes from tools/compare/package-lock.json (npm ci into tools/compare/node_modules).
compare: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(TOOLS)/ministack/.installed ## The gateway beside ministack and serverless-offline (pinned): the token matrix, latency ratios
	@[[ tools/compare/node_modules/.installed -nt tools/compare/package-lock.json ]] || \
		{ cd tools/compare && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; }
	$(TOOLS)/aws/bin/python tools/compare/compare.py --report target/compare/report.md

e2e: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed ## End-to-end: the real local stack and the walkthrough's aws CLI commands
	cargo test --locked -p local-api-gateway --test suite -- --ignored --test-threads 1

template-check: $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed ## cfn-lint, checkov, sam validate (+ --lint)
	$(TOOLS)/sam/bin/cfn-lint template.yaml -a cfn_lint_serverless.rules
	$(TOOLS)/checkov/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint

# The template as CloudFormation will deploy it (Stage=dev and prod), translated offline: wiring
# compared with tools/deploy-check/expected.yaml, cfn-lint, checkov, and a mutation self-test.
deploy-check: $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed ## Translate the template offline; check routes, authorizers, permissions, policies
	$(TOOLS)/sam/bin/python tools/deploy-check/deploy_check.py --template template.yaml --out target/deploy-check \
		--cfn-lint $(TOOLS)/sam/bin/cfn-lint --checkov $(TOOLS)/checkov/bin/checkov

# Each corpus template translated by the SAM translator (offline): the local gateway's routes for
# the template (its SAM reader) must equal its routes for SAM's own output (its raw reader).
corpus-check: $(TOOLS)/sam/.installed ## The corpus: SAM reader vs the raw reader on SAM's translation
	cargo build --quiet -p local-api-gateway --bin local-api-gateway
	$(TOOLS)/sam/bin/python tools/corpus-check/corpus_check.py --gateway target/debug/local-api-gateway \
		--fixtures crates/local-api-gateway/tests/fixtures/templates --out target/corpus-check

sam-build: $(TOOLS)/sam/.installed $(TOOLS)/lambda/.installed $(ARM64_TARGET) ## sam build for arm64, offline
	AWS_DEFAULT_REGION=us-east-1 $(SAM) build
	@# ELF e_machine (offset 18) 0xb7 is aarch64
	@[[ "$$(od -An -tx1 -j18 -N1 .aws-sam/build/HelloFunction/bootstrap | tr -d ' ')" == b7 ]] \
		&& echo "sam build: arm64 bootstrap ok" || { echo "sam build: bootstrap is not arm64" >&2; exit 1; }

# What it mutates and how: .cargo/mutants.toml. Not in make test: about 35 minutes here (TESTING.md).
# Property tests run 32 cases per mutant; MUTANTS_ARGS passes more options (e.g. -f <file>).
mutants: $(CARGO_MUTANTS) ## Mutation testing of hello and the local gateway's core (TESTING.md)
	PROPTEST_CASES=32 $(CARGO_MUTANTS) mutants --output target/mutants $(MUTANTS_ARGS)

# The template readers, on their own (.cargo/mutants-readers.toml): about 70 minutes here.
mutants-readers: $(CARGO_MUTANTS) ## Mutation testing of the template readers (TESTING.md)
	PROPTEST_CASES=32 $(CARGO_MUTANTS) mutants --config .cargo/mutants-readers.toml \
		--output target/mutants-readers $(MUTANTS_ARGS)

fuzz: ## The property tests with FUZZ_CASES cases each (optimized build)
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --locked --profile bench-tools --workspace proptest_ -- --nocapture

# The advisory database's plumbing (an offline snapshot where ../shared/advisory-db exists): the script.
audit: $(CARGO_DENY) ## cargo deny: bans, licenses, sources, advisories (offline where ../shared/advisory-db exists)
	CARGO_DENY=$(CARGO_DENY) scripts/audit.sh

# ---- benchmarks --------------------------------------------------------------------------------

bench: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(ARM64_TARGET) $(OHA) $(WEB_INSTALLED) ## Cold start, warm cost, size, local API overhead, the local stack's start and memory, each against a baseline (BENCHMARKS.md)
	scripts/bench.sh

bench-stack: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(WEB_INSTALLED) ## The local stack: start -> first 200 and memory at rest (BENCH_STACK_BEFORE=<commit>: also at that commit)
	scripts/bench-stack.sh

bench-smoke: ## The benchmark harness once, on tiny counts, with debug builds
	cargo build --quiet --locked -p hello
	cargo build --quiet --locked -p lambda-bench
	cargo build --quiet --manifest-path bench/baseline/Cargo.toml
	target/debug/lambda-bench --function ours=target/debug/hello --function baseline=bench/baseline/target/debug/baseline \
		--rounds 1 --cold-starts 3 --warm-invocations 200 --check-logs

load: $(TOOLS)/aws/.installed $(TOOLS)/lambda/.installed $(OHA) ## 64 connections, valid and forged tokens, LOAD_DURATION seconds
	@mkdir -p target/bench
	scripts/load.sh | tee target/bench/load.md

clean: ## Remove build output, tools and local state
	rm -rf target .aws-sam .local $(TOOLS) web/node_modules web/dist
