"""The instructor's grading toolkit.

- :mod:`.gradebook` -- where the gradebook is, whether it is usable, who is graded;
- :mod:`.runner` -- parallel autograding of a class (``python -m korea_nato.grading``);
- :mod:`.sandbox` -- the bubblewrap sandbox every autograded kernel runs in;
- :mod:`.execution` -- nbgrader's execution step, sandboxed, with tests that must prove they ran
  (:mod:`.kernel_probe` is the code it sends into the kernel around each test);
- :mod:`.integrity` -- reads submissions without running them and flags tampering
  (:mod:`.codescan` holds the rules that read a cell's code);
- :mod:`.ungradeable` -- why nbgrader could not grade a submission, and what to do;
- :mod:`.repair` -- removes duplicated nbgrader cells from a submission (``python -m ...repair``);
- :mod:`.feedback` -- nbgrader preprocessors that keep hidden tests out of feedback;
- :mod:`.report` -- the grade report (``korea-nato report``).

The runner's public names are re-exported here, so ``from korea_nato import grading`` and
``grading.grade_all(...)`` keep working.
"""

from .gradebook import (  # noqa: F401 -- re-exported
    GRADEBOOK_TABLES,
    SQLITE_TIMEOUT_S,
    GradebookError,
    GradingError,
    check_gradebook,
    configured_db_url,
    course_config,
    graded_students,
    is_scored,
    require_assignment,
    shown_url,
    with_sqlite_timeout,
)
from .runner import (  # noqa: F401 -- re-exported
    KERNEL_PORT_NAMES,
    PORT_RANGE,
    GradingResult,
    autograde_command,
    free_ports,
    grade,
    grade_all,
    main,
    run_chains,
    shard,
    submitted_students,
)
