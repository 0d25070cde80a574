"""``python -m korea_nato.grading``: grade a class in parallel (see :mod:`korea_nato.grading.runner`)."""

import sys

from .runner import main

sys.exit(main())
