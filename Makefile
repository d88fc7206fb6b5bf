# labqueue: `make run` launches the app, `make test` runs the suite. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian packages Qt's xcb platform plugin needs, plus Xvfb so the GUI tests get a real X server.
SYS_PKGS := libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libx11-xcb1 libxkbcommon-x11-0 \
            libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 \
            libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1 libxcb-cursor0 xvfb xauth

.PHONY: run test test-pyside6 bench lint screenshot sysdeps clean

run: sysdeps $(STAMP)
	$(BIN)/labqueue

test: sysdeps $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-pyside6

# The same suite under the second Qt binding, PySide6 through qtpy (PYTEST_QT_API wins over the
# qt_api = "pyqt5" in pyproject.toml); subprocesses started by the tests inherit QT_API.
test-pyside6: sysdeps $(STAMP)
	QT_API=pyside6 PYTEST_QT_API=pyside6 $(BIN)/python -m pytest

bench: sysdeps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

# Refresh the README screenshot (docs/screenshot.png) of the app running --demo.
screenshot: sysdeps $(STAMP)
	$(BIN)/python docs/make_screenshot.py docs/screenshot.png

# Install missing Debian packages (as root, or with sudo). Elsewhere: a warning, and the tests
# fall back to Qt's offscreen platform.
sysdeps:
	@missing=""; \
	for p in $(SYS_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    echo "Installing system packages:$$missing"; \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "warning: not a Debian system; make sure Qt's X11 libraries are installed:$$missing"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
