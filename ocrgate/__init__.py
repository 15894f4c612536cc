"""The `ocrgate` command line: a leaf that imports the other packages and that nothing imports."""

from kernel import __version__

__all__ = ["__version__"]
