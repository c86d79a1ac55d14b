# The real stack (servers, database, subgraph and gateway processes) for every test, and the
# fast layer: a subgraph's service functions against its own migrated schema, no processes.
pytest_plugins = ["devstack.testing", "devstack.service_testing"]
