import sys

from ocrgate.cli import main

sys.exit(main())
