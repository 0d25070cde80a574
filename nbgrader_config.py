"""nbgrader settings for the Korea-NATO course. This repository is the course directory.

Run nbgrader from the repository root (``nbgrader generate_assignment ps1_event_table``, ...)
and these settings apply. Each choice is explained beside it.
"""

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

# The course id ties the exchange (release, fetch, submit, collect) to this course.
c.CourseDirectory.course_id = "korea-nato"

# --- Executing submissions -------------------------------------------------------------------
# No cell in our assignments needs more than a second or two, so a cell that runs 10 s is
# stuck: an infinite loop costs 10 s per cell it reaches, not nbgrader's default 30 s.
c.Execute.timeout = 10
# A loop that swallows KeyboardInterrupt ignores nbgrader's interrupt. By default the kernel
# then stops answering and the whole submission *fails* (no grade at all); with this off the
# stuck cell just errors and the submission is graded, that cell scoring 0.
c.Execute.raise_on_iopub_timeout = False
# A student who deletes a test cell would otherwise get that cell flagged for manual grading;
# restoring it from the gradebook grades the submission as if the cell were there.
c.OverwriteCells.add_missing_cells = True

# --- The grading sandbox ---------------------------------------------------------------------
# Every submission runs in a kernel inside a bubblewrap sandbox (korea_nato.grading.sandbox):
# no network, a read-only system, only its own folder writable, nothing else of this course
# visible, limits on memory, CPU, files and processes. Before each test cell the grader checks
# that the student's code has not changed how the kernel runs cells, and each test must print a
# one-time token to count as run (korea_nato.grading.execution). Output is capped in bytes.
c.Autograde.autograde_preprocessors = [
    "korea_nato.grading.execution.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "korea_nato.grading.execution.LimitOutputBytes",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Limits of each sandboxed kernel (the defaults, written out so they are easy to change).
c.SandboxKernelManager.memory_limit_mb = 2048
c.SandboxKernelManager.cpu_limit_s = 600
c.SandboxKernelManager.file_size_limit_mb = 64
c.SandboxKernelManager.process_limit = 64
c.SandboxKernelManager.open_files_limit = 256
# Kernels are forked, one at a time, from a sandboxed server that has imported IPython and pandas
# once (about a second less per submission; instructor guide, section 11). False starts every
# kernel in its own bubblewrap.
c.SandboxKernelManager.fork_server = True
# Where bubblewrap is missing, grading refuses with the fix. Only on a machine where you trust
# every submission, grade without the sandbox (the report then says the class was unsandboxed):
# c.SandboxKernelManager.allow_unsandboxed = True

# --- Feedback --------------------------------------------------------------------------------
# nbgrader's feedback shows hidden tests by default. First keep only the errors of cells with
# hidden tests and remove any hidden line that a student's code printed elsewhere, then name
# each test cell by what it checks (its docstring), then turn each failed test's traceback into
# a sentence (the check and its message, or the error the student's own code raised and the line
# of their cell; a traceback prints the lines around a failure, hidden ones too), then remove the
# hidden lines themselves, then nbgrader's usual steps.
# The first step refuses a student whose written answer still waits for a grader (naming the
# student and the cells), so that no "0.0 / 4.0" for an unread answer reaches anyone;
# `--ProvisionalGrades.allow=True` generates it anyway, marked "Provisional feedback".
c.GenerateFeedback.preprocessors = [
    "korea_nato.grading.provisional.RefuseProvisionalFeedback",
    "korea_nato.grading.feedback.RedactHiddenTests",
    "korea_nato.grading.feedback.NameChecks",
    "korea_nato.grading.feedback.ExplainTestFailures",
    "korea_nato.grading.feedback.ClearHiddenTests",  # nbgrader's, without a config warning
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# The feedback page: nbgrader's own, with each check listed by what it checks instead of "Test
# cell" (korea_nato/grading/templates/korea_nato_feedback extends nbgrader's template). It is
# set on an exporter of its own: on HTMLExporter it would replace the formgrader's page too.
from korea_nato.grading.feedback import TEMPLATE_FILE, TEMPLATE_NAME, template_dirs  # noqa: E402

c.GenerateFeedback.exporter_class = "korea_nato.grading.feedback.FeedbackExporter"
c.FeedbackExporter.template_name = TEMPLATE_NAME
c.FeedbackExporter.template_file = TEMPLATE_FILE
c.FeedbackExporter.extra_template_basedirs = template_dirs()

# `nbgrader release_feedback` releases nothing while a student in feedback/ still waits for a
# grader, or while a page generated as provisional is out of date; it names them. The same
# `--ProvisionalGrades.allow=True` releases provisional feedback on purpose.
c.ExchangeFactory.release_feedback = "korea_nato.grading.provisional.CheckedReleaseFeedback"

# --- Grading in the formgrader ---------------------------------------------------------------
# nbgrader shows the grader only the student's answer. This step of the formgrader's page puts
# each written answer's model answer and mark scheme (read from source/ when the page opens)
# right below it, marked "graders only". It does nothing in any other export: the mark scheme
# never reaches autograded/, release/ or the students' feedback.
c.HTMLExporter.preprocessors = ["korea_nato.grading.markscheme.ShowMarkScheme"]

# --- Late work -------------------------------------------------------------------------------
# The syllabus's late policy, applied while autograding by nbgrader's AssignLatePenalties step
# (already in the autograde steps above). nbgrader's own plugin can only give no penalty or
# zero, so the course uses korea_nato.grading.late.PerDayLatePenalty.
c.AssignLatePenalties.plugin_class = "korea_nato.grading.late.PerDayLatePenalty"
# Each started day after the due date costs this share of the notebook's points (0.1 = 10 % of
# the points, e.g. 2.2 of ps1's 22): 1 minute to 24 hours late is one day. 0 means no penalty.
c.PerDayLatePenalty.penalty_per_day = 0.1
# The most a late submission can lose, as a share of the points: here 50 % (from day 5 on).
# nbgrader never takes more than the submission scored, so a grade never goes below 0.
c.PerDayLatePenalty.max_penalty = 0.5
# Minutes after the due date that still count as on time (a slow network at the deadline).
c.PerDayLatePenalty.grace_minutes = 15
# Lateness is only counted once the assignment has a due date in the gradebook, e.g.
#   nbgrader db assignment add ps1_event_table --duedate="2026-11-20 23:59:00 Asia/Seoul"
# A student's arrival time is the timestamp.txt that `nbgrader collect` (or `submit`) writes.
# An extension for one student is the `extension` of their submission in the gradebook
# (nbgrader.api.SubmittedAssignment); the due date then moves for them alone.
