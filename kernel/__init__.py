"""Kernel: settings, domain schemas, errors and model factories. Imports no other pmpilot package."""
