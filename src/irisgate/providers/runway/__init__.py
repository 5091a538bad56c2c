"""Runway ML (`https://api.dev.runwayml.com`): video generation as tasks, polled and cancelled by id.

`descriptor.py` (its catalog entry), `models.py` (what each model accepts), `mapping.py` (unified
request → endpoint and body), `answers.py` (task objects → unified states), `errors.py` (its errors
→ gateway errors), `provider.py` (what is sent).
"""
