# The real stack (servers, database, subgraph and gateway processes) for every test.
pytest_plugins = ["devstack.testing"]
