import sys

from validator.cli import main

if __name__ == "__main__":  # `reproduce` spawns processes, which import this module again
    sys.exit(main())
