"""Reunify: case management for reunification therapy."""
