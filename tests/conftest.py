"""Shared by every test folder: this folder is on sys.path, so `support` (what only the tests
need: headless compositors, fake sysfs trees, polling helpers) is importable everywhere."""
