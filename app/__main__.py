import sys

from issdash.commands.cli import main

sys.exit(main())
