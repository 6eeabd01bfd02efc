# Two commands do all set-up on a fresh machine: `make demo` runs the whole thing locally,
# `make test` runs every test suite. Both install what they need.
.PHONY: demo test lint crds docs

demo:
	scripts/demo.sh

test:
	scripts/test.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

crds:
	cargo run --quiet -- crds --out crds
	cargo run --quiet -- crds --out charts/mongocloud-operator/crds

docs:
	cargo run --quiet -- docs
