"""The `enlace` command line (entry point: services.cli.main:app)."""
