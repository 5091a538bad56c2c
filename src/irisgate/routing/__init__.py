"""From a model string to a provider and a key: the providers and keys in force (`registry.py`),
the choice of a key (`router.py`), and serving a call through key rotation, retries and fallbacks
(`dispatch.py`, with `cooldowns.py`)."""
