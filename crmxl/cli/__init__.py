"""The `crmxl` command line (``main``), and its entry point."""


def entry() -> None:
    """The console script. Loading the command takes a moment: Ctrl-C then ends it with a message too, not
    with a traceback of an import."""
    import sys

    try:
        from crmxl.cli.main import entry as run
    except KeyboardInterrupt:
        print("Interrupted: nothing was done.", file=sys.stderr)
        sys.exit(130)
    run()
