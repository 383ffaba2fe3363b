"""`python -m psa.cli`: how `psa up` starts its worker and periodic runner."""

import sys

from psa.cli import main

sys.exit(main())
