"""pluralspace: a self-hostable server for plural systems."""

__version__ = "0.1.0"
API_VERSION = "v1"
