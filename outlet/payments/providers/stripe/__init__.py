"""Stripe behind the port: the adapter (`adapter.py`) is the only module in the project that imports `stripe`."""
