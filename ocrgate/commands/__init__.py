"""Sub-commands of the `ocrgate` CLI, one module each."""
