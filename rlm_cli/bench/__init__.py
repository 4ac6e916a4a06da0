"""`rlm bench`: long-context tasks with known answers, run `direct` and `rlm` side by side."""
