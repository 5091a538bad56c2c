pytest_plugins = [
    "fixtures_simulators",
    "fixtures_runway_sim",
    "fixtures_openai_sim",
    "fixtures_google_sim",
    "fixtures_gateway",
    "fixtures_browser",
    "fixtures_proxy",
    "fixtures_fal_sim",
    "webhook_receiver",
]
