"""Arrimage: self-hosted automations that connect Cyberimpact to other apps."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("arrimage")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
