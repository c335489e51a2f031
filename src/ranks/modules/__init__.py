"""Mechanism modules. Each file models one family of mechanisms and names its M-ids."""
