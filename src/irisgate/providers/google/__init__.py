"""Google, on the Gemini API (`https://generativelanguage.googleapis.com`): Imagen images and Veo videos.

`descriptor.py` (its catalog entry), `models.py` (what each model accepts, and its price),
`mapping.py` (the mapping tables; unified image request → Imagen `:predict`), `video_mapping.py`
(unified video request → Veo `:predictLongRunning`), `answers.py` (predictions and operations →
unified shapes), `errors.py` (its errors → gateway errors), `provider.py` (what is sent).
"""
