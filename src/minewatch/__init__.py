"""minewatch: find covert cryptocurrency mining in network and power evidence."""

__version__ = "0.1.0"
