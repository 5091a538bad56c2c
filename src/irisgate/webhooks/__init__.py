"""Webhooks, OpenAI's way: endpoints (`endpoints.py`), events written with each job's end
(`outbox.py`), signed per Standard Webhooks (`signing.py`), sent from the store in the background
(`deliverer.py`, through `sender.py`), to public addresses only unless allowed (`urls.py`)."""
