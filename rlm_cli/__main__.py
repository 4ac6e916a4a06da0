"""`python -m rlm_cli` runs the command line."""

from rlm_cli.cli import main

main()
