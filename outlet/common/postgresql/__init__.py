"""Django's PostgreSQL backend, plus a connection a web process opens while it starts (see base.py)."""
