"""The REPL: a persistent Python namespace in a separate worker process (worker.py) driven by host.py."""
