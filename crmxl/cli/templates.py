"""(filled in by its feature)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
