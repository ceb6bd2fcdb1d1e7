"""Adapters to outside systems. Only daemon.py and the CLI's in-process path import these."""
