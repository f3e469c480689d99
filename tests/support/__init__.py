"""Helpers shared by the tests: stand-ins at the network edge, envelope checks, built-in catalogs."""
