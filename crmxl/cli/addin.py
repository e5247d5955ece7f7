import typer

app = typer.Typer(help="Build the Excel add-in and the macro-enabled model workbooks.")
