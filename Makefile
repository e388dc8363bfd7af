# Guestbridge: build, test and run locally. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Prefer the Go toolchain in /usr/local/go over whatever else is on PATH.
export PATH := /usr/local/go/bin:$(PATH)

GO          ?= go
ROOT        := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
FUNCTIONS   := api sender sweep delivery
LOCAL_TOOLS := tools/local
NPM_STAMP   := $(LOCAL_TOOLS)/node_modules/.stamp
# Files copied from npm into web/vendor/ by deps: the scanning tools' decoders (zxing-wasm,
# tesseract.js) and the API reference viewer (make apidocs). Defined before the deps rule,
# whose prerequisites are expanded where it is read.
NODE_MODULES  ?= $(LOCAL_TOOLS)/node_modules
WEB_VENDOR    := web/vendor
VENDOR_STAMP  := $(WEB_VENDOR)/.stamp
APIDOCS_NPM   ?= $(LOCAL_TOOLS)/node_modules
APIDOCS_DIR   := web/vendor/apidocs
APIDOCS_STAMP := $(APIDOCS_DIR)/.stamp
CDK         := $(LOCAL_TOOLS)/node_modules/.bin/cdk
# apt-get runs through sudo unless make runs as root.
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# When this make started, for the total time `make test` prints.
START       := $(shell date +%s)

.PHONY: help deps system-tools web-vendor apidocs build dev dev-reset test test-browser test-browser-run bench bench-relay synth fmt lint

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: system-tools $(NPM_STAMP) $(VENDOR_STAMP) $(APIDOCS_STAMP) ## install what builds, tests and `make dev` need
	@echo "==> go mod download"
	$(GO) mod download
	@echo "==> deps ready ($$($(GO) version | cut -d' ' -f3), java $$(java -version 2>&1 | head -1 | cut -d'"' -f2), node $$(node --version))"

# Java 17+ runs DynamoDB Local; Node.js (20.19+) and npm run the SES emulator and the CDK CLI;
# Debian's chromium runs the browser tests (through npm playwright-core, which brings no browser);
# ffprobe (Debian's ffmpeg) reads the relay's recordings back in its tests.
# apt-get (and its update) runs only when one of them is missing. (The man1 directory is one
# the JRE's post-install script needs and slim images lack.)
system-tools:
	@command -v $(GO) >/dev/null || { echo "Go not found (expected in /usr/local/go/bin)" >&2; exit 1; }
	@missing=""; \
	if ! command -v java >/dev/null || ! grep -qE 'version "(1[7-9]|[2-9][0-9])' <<<"$$(java -version 2>&1)"; then \
		missing="$$missing openjdk-17-jre-headless"; \
	fi; \
	if ! command -v node >/dev/null; then \
		missing="$$missing nodejs npm"; \
	elif ! command -v npm >/dev/null; then \
		missing="$$missing npm"; \
	fi; \
	if [ ! -x /usr/bin/chromium ]; then \
		missing="$$missing chromium"; \
	fi; \
	if ! command -v ffprobe >/dev/null; then \
		missing="$$missing ffmpeg"; \
	fi; \
	if [ -n "$$missing" ]; then \
		echo "==> apt-get install$$missing"; \
		$(SUDO) apt-get update; \
		$(SUDO) mkdir -p /usr/share/man/man1; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "==> java, node, chromium and ffprobe found"; \
	fi; \
	node_version=$$(node --version); \
	if ! printf '%s\n' v20.19.0 "$$node_version" | sort -V -C; then \
		echo "Node.js $$node_version is too old: the SES emulator needs 20.19 or newer (Debian 12's apt has 18)" >&2; \
		exit 1; \
	fi

# npm ci runs again only when the lock file (or package.json) is newer than the stamp.
$(NPM_STAMP): $(LOCAL_TOOLS)/package-lock.json $(LOCAL_TOOLS)/package.json | system-tools
	@echo "==> npm ci --prefix $(LOCAL_TOOLS)"
	npm ci --prefix $(LOCAL_TOOLS) --no-audit --no-fund
	@touch $@

# The scanning tools' decoders, served by the web client from its own origin (no CDN at run
# time): ZXing's reader (ES module + .wasm) and Tesseract's ES module, worker, LSTM-only cores
# (with and without SIMD) and the English data (tessdata_best, integer: LSTM-only and a third
# of the size of the default data). The core finds its .wasm beside the worker script, so the
# Tesseract files share one folder. NODE_MODULES may point at another npm install.
$(VENDOR_STAMP): $(NPM_STAMP) Makefile
	@echo "==> $(WEB_VENDOR) (zxing-wasm, tesseract.js)"
	rm -rf $(WEB_VENDOR)/zxing-wasm $(WEB_VENDOR)/tesseract
	mkdir -p $(WEB_VENDOR)/zxing-wasm/es/reader $(WEB_VENDOR)/zxing-wasm/reader $(WEB_VENDOR)/tesseract/lang
	cp $(NODE_MODULES)/zxing-wasm/dist/es/share.js $(WEB_VENDOR)/zxing-wasm/es/
	cp $(NODE_MODULES)/zxing-wasm/dist/es/reader/index.js $(WEB_VENDOR)/zxing-wasm/es/reader/
	cp $(NODE_MODULES)/zxing-wasm/dist/reader/zxing_reader.wasm $(WEB_VENDOR)/zxing-wasm/reader/
	cp $(NODE_MODULES)/zxing-wasm/LICENSE $(WEB_VENDOR)/zxing-wasm/
	cp $(NODE_MODULES)/tesseract.js/dist/tesseract.esm.min.js $(NODE_MODULES)/tesseract.js/dist/worker.min.js \
		$(NODE_MODULES)/tesseract.js/LICENSE.md $(WEB_VENDOR)/tesseract/
	cp $(NODE_MODULES)/tesseract.js-core/LICENSE $(WEB_VENDOR)/tesseract/LICENSE-core
	for core in tesseract-core-simd-lstm tesseract-core-lstm; do \
		cp $(NODE_MODULES)/tesseract.js-core/$$core.js $(NODE_MODULES)/tesseract.js-core/$$core.wasm $(WEB_VENDOR)/tesseract/; \
	done
	cp $(NODE_MODULES)/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz $(WEB_VENDOR)/tesseract/lang/
	@touch $@

web-vendor: $(VENDOR_STAMP) ## copy the scanning tools' decoders from npm into web/vendor/

# The API reference at /docs: Swagger UI's browser bundle and stylesheet, copied from npm
# into web/vendor/apidocs/ (gitignored), served from the site itself under its strict CSP.
# APIDOCS_NPM (top of the file) may point at another npm install.
$(APIDOCS_STAMP): $(NPM_STAMP) Makefile
	@echo "==> $(APIDOCS_DIR) (swagger-ui-dist)"
	rm -rf $(APIDOCS_DIR)
	mkdir -p $(APIDOCS_DIR)
	cp $(APIDOCS_NPM)/swagger-ui-dist/swagger-ui-bundle.js $(APIDOCS_NPM)/swagger-ui-dist/swagger-ui.css \
		$(APIDOCS_NPM)/swagger-ui-dist/LICENSE $(APIDOCS_NPM)/swagger-ui-dist/NOTICE $(APIDOCS_DIR)/
	@touch $@

apidocs: $(APIDOCS_STAMP) ## copy the API reference viewer (Swagger UI) from npm into web/vendor/apidocs/

build: ## build the Lambda bundles into build/lambda/<function>/bootstrap (linux/arm64)
	@for fn in $(FUNCTIONS); do \
		echo "==> build/lambda/$$fn/bootstrap"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
			-o build/lambda/$$fn/bootstrap ./functions/$$fn; \
	done

dev: deps ## run everything locally (DynamoDB Local, SES emulator, API, sweep, sender, SMS capture, relay)
	@echo "==> go run ./functions/local"
	$(GO) run ./functions/local

dev-reset: ## forget the local data (.local/: DynamoDB Local files, generated secret)
	@echo "==> rm -rf .local"
	rm -rf .local

# The Go files of the module: everything but npm installs, build output and local data.
GO_FILES := find . \( -path ./.git -o -path ./tools/local/node_modules -o -path ./cdk.out \
	-o -path ./build -o -path ./.local \) -prune -o -name '*.go' -print0

# Every step runs even when an earlier one failed, so one run shows every failure;
# the exit status is that of the whole. GB_OPENAPI_VALIDATE checks every request and answer
# of the flow tests against the OpenAPI document.
test: deps ## go vet, then all tests (race detector on, except for ./infra/...), then the browser tests
	@rc=0; \
	echo "==> go vet ./..."; \
	$(GO) vet ./... || rc=1; \
	echo "==> go test -race (all packages except ./infra/...)"; \
	GB_OPENAPI_VALIDATE=1 $(GO) test -race -count=1 -timeout 12m $$($(GO) list ./... | grep -vE '/infra(/|$$)') || rc=1; \
	if [ -d infra ]; then \
		echo "==> go test ./infra/..."; \
		$(GO) test -count=1 -timeout 10m ./infra/... || rc=1; \
	fi; \
	$(MAKE) --no-print-directory test-browser-run || rc=1; \
	if [ $$rc = 0 ]; then result=passed; else result=FAILED; fi; \
	echo "==> make test $$result in $$(( $$(date +%s) - $(START) ))s"; \
	exit $$rc

test-browser: deps ## browser tests (web/e2e) in chromium against their own local stack
	@$(MAKE) --no-print-directory test-browser-run

# The browser tests without deps, for `make test`, which has installed them. On
# failure the screenshots and console logs are in web/e2e/results/.
# functions/local and the relay are built once here rather than by each file's stack.
test-browser-run:
	@echo "==> go build functions/local and the relay for the browser tests (build/e2e/)"
	@$(GO) build -o build/e2e/local ./functions/local && $(GO) build -o build/e2e/media-task ./media-task
	@echo "==> node --test web/e2e/ (chromium)"
	@rm -rf web/e2e/results
	@GB_E2E_LOCAL_BIN=$(ROOT)/build/e2e/local GB_RELAY_BIN=$(ROOT)/build/e2e/media-task \
		node --test --test-concurrency=1 web/e2e/ || { echo "browser tests failed: see web/e2e/results/" >&2; exit 1; }

bench: deps ## run the API benchmark against the local stack
	@echo "==> go run ./tools/bench"
	$(GO) run ./tools/bench

bench-relay: ## run the relay load generator, then N=100 without and with one recording running (NET=1: the bad-network mode, with and without TWCC; SESSIONS=10,50,100,200: sessions mode)
	@echo "==> go run ./media-task/cmd/loadgen $(if $(NET),-net) $(if $(SESSIONS),-sessions $(SESSIONS))"
	$(GO) run ./media-task/cmd/loadgen $(if $(NET),-net) $(if $(SESSIONS),-sessions $(SESSIONS))
	@if [ -z "$(NET)$(SESSIONS)" ]; then \
		echo "==> go run ./media-task/cmd/loadgen -n 100 -record"; \
		$(GO) run ./media-task/cmd/loadgen -n 100 -record; \
		echo "==> the recorder's own CPU per recorded packet"; \
		$(GO) test -run '^$$' -bench BenchmarkRecordPacket -benchtime 20000x ./media-task/recording/; \
	fi

synth: deps build ## synthesize the CDK app into cdk.out/ (offline)
	@echo "==> cdk synth"
	cd $(ROOT) && $(CDK) synth --no-notices --no-version-reporting -q

fmt: ## gofmt every Go file
	@echo "==> gofmt -w"
	$(GO_FILES) | xargs -0 -r gofmt -w

lint: ## gofmt must have nothing to say; go vet
	@echo "==> gofmt -l"
	@unformatted=$$($(GO_FILES) | xargs -0 -r gofmt -l); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'ed (run make fmt):" >&2; echo "$$unformatted" >&2; exit 1; fi
	@echo "==> go vet ./..."
	$(GO) vet ./...
