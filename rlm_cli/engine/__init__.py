"""The RLM loop: root model turns, code steps in the REPL, sub-calls. Emits events; imports no UI."""
