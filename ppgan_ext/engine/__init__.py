"""Registered on import; see the modules in this folder."""
