# Two commands from a fresh clone:  make demo   and   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_FLAGS ?=

.PHONY: setup demo demo-all lint test lab benchmarks notebooks clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -c constraints.txt -e ".[lab,test]"
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the kit with pinned versions

demo: setup  ## the paper's best run (Run-4: Type-1, CNN, fixed encoder) on the demo data
	$(BIN)/vqvae-kit run params/demo.yaml

demo-all: setup  ## all five paper runs on the demo data, then the comparison report
	for f in params/demo/run1.yaml params/demo/run2.yaml params/demo/run3.yaml \
	         params/demo/run4.yaml params/demo/run5.yaml; do \
	    $(BIN)/vqvae-kit run $$f || exit 1; done
	$(BIN)/vqvae-kit report outputs/demo-run1 outputs/demo-run2 outputs/demo-run3 \
	    outputs/demo-run4 outputs/demo-run5 --out outputs/demo-report

lint: setup  ## ruff: pyflakes, import order, line length 100, pyupgrade (pyproject.toml)
	$(BIN)/ruff check .

test: setup lint  ## lint, then library tests and nbval on the five notebooks (tiny defaults)
	VQVAE_KIT_HEADLESS=1 $(BIN)/python -m pytest $(PYTEST_FLAGS) tests notebooks \
	    --nbval-lax --nbval-current-env --nbval-cell-timeout=600

lab: setup  ## JupyterLab at the repository root (notebooks/ and outputs/) with this kernel
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name vqvae-kit \
	    --display-name "Python (vqvae-kit)"
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) \
	    $$([ "$$(id -u)" = 0 ] && echo --allow-root)

benchmarks: setup  ## throughput figures (see BENCHMARKS.md)
	$(BIN)/python benchmarks/extract_throughput.py
	$(BIN)/python benchmarks/train_throughput.py
	$(BIN)/python benchmarks/tag_epoch.py

notebooks: setup  ## re-execute the notebooks with their defaults and keep the checked outputs
	$(BIN)/python scripts/refresh_notebooks.py

clean:
	rm -rf outputs/*/ .pytest_cache
