import sys

from x12.cli import main

sys.exit(main())
