from phancap.cli import app

app(prog_name="phancap")
