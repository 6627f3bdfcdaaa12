"""The PluralKit-compatible API (`/pk/v2`, `/pk/v1`): a translation layer onto the native services and data.

Requests in PluralKit's shapes are turned into the native schemas and passed to the same service functions the
native API uses; their results are turned back into PluralKit's shapes. See docs/PLURALKIT.md for the mappings.
"""
