"""Surfaces: the CLI, the Gradio app and the MCP server. Thin: they call the service APIs."""
