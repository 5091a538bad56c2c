from irisgate.cli import app

app()
