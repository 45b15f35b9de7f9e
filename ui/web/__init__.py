"""Pieces of the Gradio app: service calls shaped for display (``views``) and the streaming chat (``chat``)."""
