"""fal.ai (`https://queue.fal.run`): images and videos through fal's queue, one endpoint id per model.

`descriptor.py` (its catalog entry), `models.py` (what each listed endpoint accepts, and its published
price), `queue.py` (the queue's URLs), `mapping.py` (unified request → the endpoint's input),
`answers.py` (queue and result answers → unified shapes), `errors.py` (its errors → gateway errors),
`provider.py` (what is sent).
"""
