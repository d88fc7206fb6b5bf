"""``python -m labqueue``: start the desktop app."""

from labqueue.gui.app import main

raise SystemExit(main())
