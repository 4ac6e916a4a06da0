"""Renderers turn engine events into what a user sees; each is an Emit callable."""
