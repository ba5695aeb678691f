"""What the donation form's proof-of-work widget does in the browser, done in Python for tests and benchmarks."""

from __future__ import annotations

import base64
import json

import altcha


def solve_challenge(challenge: dict) -> str:
    """The base64 payload the widget posts in the challenge field for `challenge` (donations.abuse.new_challenge)."""
    solution = altcha.solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"]
    )
    if solution is None:
        raise ValueError("this challenge has no solution below its maxNumber")
    payload = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")} | {
        "number": solution.number
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()
