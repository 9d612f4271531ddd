"""Venue clients: one folder per venue, plus what they share.

``base.py`` holds the Protocols the rest of botkit programs against, ``errors.py`` the core errors
that carry what a venue said, and the private ``_http.py`` / ``_ws.py`` the REST and WebSocket
machinery every venue reuses. Import a venue's public API from its package
(``from botkit.venues.sintra import SintraDataClient``); this package re-exports nothing.
"""
