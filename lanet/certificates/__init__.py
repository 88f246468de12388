"""Certificates of attendance and of cycle completion, produced by workers, verifiable by anyone."""
