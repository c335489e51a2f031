"""Ranks: an agent-based simulator of how armed actors fill their ranks and how people get out."""

__version__ = "0.1.0"
