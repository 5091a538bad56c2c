pytest_plugins = ["fixtures_simulators", "fixtures_gateway"]
