"""phancap: the command line over the engine (and the web server in api/)."""
