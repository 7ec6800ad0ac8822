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

# Trains ESRGAN-PSNR (small settings) on the embedded photos, validates
# PSNR/SSIM-Y, checkpoints, logs to VisualDL, then re-evaluates the weights.
demo: data
	$(PYTHON) tools/demo.py --out $(DEMO_OUT)

test: install
	$(PYTHON) -m pytest -q tests
