"""``python -m botkit``: the ``botkit`` command."""

from botkit.cli import main

raise SystemExit(main())
