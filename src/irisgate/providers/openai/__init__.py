"""OpenAI Images (`https://api.openai.com/v1`): `images.generate` and `images.edit` in OpenAI's own shape.

`descriptor.py` (its catalog entry), `models.py` (what each image model accepts, and its prices),
`mapping.py` (unified request → JSON body or multipart form, checked per model), `answers.py`
(`ImagesResponse` → the unified result, with `usage` kept and a cost estimate), `errors.py` (its
`{"error": {...}}` answers → gateway errors), `provider.py` (what is sent).

The package is `irisgate.providers.openai`: modules here import with absolute paths only, and none
imports the `openai` SDK, so nothing shadows it.
"""
