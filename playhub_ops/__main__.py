import sys

from playhub_ops.cli import main

sys.exit(main())
