"""Helpers every part of the project may use and that use no part: money, dates in the newsroom's zone, batches,
CSV streaming, months, charts, sanitising, the client's address, and the admin's shared columns and mixins."""
