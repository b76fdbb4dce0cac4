from issdash.commands.cli import run

run()
