#!/usr/bin/env bash
# One shard of a virnucpro run as a Slurm array task; the array size is the shard count.
#
#   jid=$(sbatch --parsable --array=0-15 workflow/slurm.sh reads.fa results \
#             --esm esm2_t36_3B_UR50D.pt --dnabert DNABERT-S --classifier 500_model.pth --chunk-size 500)
#   sbatch --dependency=afterok:$jid --wrap "virnucpro merge results/shard-* -o results/merged"
#
# Task k of an array --array=A-B (any A) runs shard k-A of B-A+1 from
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT, writing
# OUTDIR/shard-<i>. Arrays with a step (--array=0-15:2) are refused: shards must be
# contiguous. A preempted or requeued task (--requeue) resumes from its checkpoint. To
# rerun only failed tasks, give the original array's shape in the environment:
#   VIRNUCPRO_SHARD_BASE=0 VIRNUCPRO_SHARD_COUNT=16 sbatch --export=ALL --array=5,9 workflow/slurm.sh ...
# Set VIRNUCPRO to the binary's path if it is not on PATH.
#SBATCH --job-name=virnucpro
#SBATCH --cpus-per-task=16
#SBATCH --mem=32G
#SBATCH --time=2-00:00:00
#SBATCH --requeue
#SBATCH --output=virnucpro-%A_%a.log
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: sbatch --array=0-(N-1) $0 INPUT.fa OUTDIR [predict options...]" >&2
  exit 2
fi
input=$1 out=$2
shift 2
id=${SLURM_ARRAY_TASK_ID:?not a Slurm array task: submit with sbatch --array=0-(N-1)}
min=${VIRNUCPRO_SHARD_BASE:-${SLURM_ARRAY_TASK_MIN:-0}}
count=${VIRNUCPRO_SHARD_COUNT:-${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set}}
if [ -z "${VIRNUCPRO_SHARD_COUNT:-}" ] && [ -n "${SLURM_ARRAY_TASK_STEP:-}" ] && [ "${SLURM_ARRAY_TASK_STEP}" != 1 ]; then
  echo "array step ${SLURM_ARRAY_TASK_STEP}: use a contiguous array (--array=0-(N-1))" >&2
  exit 2
fi
i=$((id - min))
threads=${SLURM_CPUS_PER_TASK:-$(nproc)}
exec "${VIRNUCPRO:-virnucpro}" predict "$input" -o "$out/shard-$i" --shard "$i/$count" --no-progress -j "$threads" "$@"
