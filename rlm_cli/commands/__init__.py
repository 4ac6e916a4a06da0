"""Commands besides `rlm ask`, one module each; cli.py registers them."""
