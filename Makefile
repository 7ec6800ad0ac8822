# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
DEMO_OUT ?= output_dir/demo

.PHONY: install data demo test

install:
	$(PIP) install -r requirements.txt -r requirements-dev.txt
	$(PIP) install --no-deps ppgan==2.1.0
	$(PIP) install --no-deps -e .

data: install
	$(PYTHON) tools/prepare_demo_data.py --root data

# Trains this plugin's RDN x2 (configs/rdn_x2_demo.yaml) on the embedded
# photos, prints PSNR/SSIM-Y next to bicubic (fails if RDN does not beat it),
# checks tools/inference.py against the trainer's validation output, writes
# a comparison picture and prints the VisualDL command.
demo: data
	$(PYTHON) tools/demo.py --out $(DEMO_OUT)

test: install
	$(PYTHON) -m pytest -q tests
