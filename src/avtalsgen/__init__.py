"""avtalsgen: Swedish kommun–polis collaboration documents as Word files, from YAML."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("avtalsgen")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"
