"""Test doubles that run for real: a scripted OpenAI-compatible HTTP server and a scripted chat model."""
