#!/usr/bin/env bash
# Grade a class on a Slurm cluster: one array job, task K grades shard K of N.
#
#   sbatch docs/grading-slurm-array.sh            # from the course directory, on a shared filesystem
#   sacct -j <jobid> --format=JobID,State,Elapsed # a FAILED task: sbatch --array=<K> ... re-runs that shard
#
# The course directory (submitted/, autograded/, nbgrader_config.py naming the PostgreSQL
# gradebook) must be on a filesystem every node mounts; the gradebook password goes in
# ~/.pgpass (mode 600). Re-running a task keeps its students already graded.
#SBATCH --job-name=grade-ps1
#SBATCH --array=0-3              # K = 0..N-1: keep N - 1 here equal to N - 1 below
#SBATCH --cpus-per-task=2
#SBATCH --mem=6G                 # two workers: two kernels of at most 2 GiB each, and nbgrader
#SBATCH --time=02:00:00
#SBATCH --output=grade-%A-%a.log
set -euo pipefail
SHARDS=4
source "${KOREA_NATO_VENV:-$HOME/venv-korea-nato}/bin/activate"
python -m korea_nato.grading ps1_event_table ps2_drivers \
    --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" --workers "${SLURM_CPUS_PER_TASK:-2}" --progress lines
