"""Runware (`https://api.runware.ai/v1`): images and videos as tasks in a JSON array.

`descriptor.py` (its catalog entry), `mapping.py` (unified request → task), `answers.py` (answers →
unified shapes), `errors.py` (its errors → gateway errors), `provider.py` (what is sent, and retried).
"""
