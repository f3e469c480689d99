"""A third-party plugin whose import fails, as a buggy release would."""

raise ImportError("bandcoach-broken 0.1 needs a module that is not installed")
