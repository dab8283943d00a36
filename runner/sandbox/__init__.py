"""Running untrusted work: a bubblewrap sandbox (and a Docker one) that fail closed."""
