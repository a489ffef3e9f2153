version 1.0

# VirNucPro (virnucpro predict) as a WDL 1.0 task and workflow, for Cromwell/Terra (GPU runtime
# attributes of the Google backends) and miniwdl. Preemptible-friendly: predict checkpoints its
# committed work in OUTDIR/.virnucpro; the task packs OUTDIR into checkpoint.tar every
# checkpoint_minutes, and Cromwell (runtime attribute checkpointFile) keeps that file across a
# preemption and restores it, so the retried task resumes instead of starting over.

workflow virnucpro_predict {
  input {
    File reads
    # ESM-2 weights (esm2_t36_3B_UR50D.pt), the DNABERT-S directory as a .tar/.tar.gz, and the
    # classifier matching chunk_size (300_model.pth / 500_model.pth).
    File esm
    File dnabert_tar
    File classifier
    Int chunk_size = 500
    String? extra_args
    String docker = "quay.io/biocontainers/virnucpro:0.1.0--h9ee0642_0"
    Int gpu_count = 1
  }

  call predict {
    input:
      reads = reads,
      esm = esm,
      dnabert_tar = dnabert_tar,
      classifier = classifier,
      chunk_size = chunk_size,
      extra_args = extra_args,
      docker = docker,
      gpu_count = gpu_count
  }

  output {
    File sequences = predict.sequences
    File chunks = predict.chunks
    File regions_bed = predict.regions_bed
    File regions_tsv = predict.regions_tsv
    File prediction_results = predict.prediction_results
    File highestscore = predict.highestscore
    File report_html = predict.report_html
    String virnucpro_version = predict.virnucpro_version
  }

  meta {
    description: "Identify viral sequences with VirNucPro (DNABERT-S + ESM-2 + MLP), one Go binary, GPU or CPU"
  }
}

task predict {
  input {
    File reads
    File esm
    File dnabert_tar
    File classifier
    Int chunk_size = 500
    String? extra_args
    String out_name = "virnucpro_out"

    String docker = "quay.io/biocontainers/virnucpro:0.1.0--h9ee0642_0"
    Int cpu = 8
    Int memory_gb = 32
    Int disk_gb = 100
    # 0: CPU only (the gpu* attributes are then left to their defaults and ignored by the CPU run).
    Int gpu_count = 1
    String gpu_type = "nvidia-tesla-t4"
    String nvidia_driver_version = "535.104.05"
    String zones = "us-central1-a us-central1-b us-central1-c us-central1-f"
    Int preemptible = 2
    Int max_retries = 1
    Int checkpoint_minutes = 10
  }

  String device = if gpu_count > 0 then "cuda" else "cpu"

  command <<<
    set -euo pipefail
    out="~{out_name}"
    # A retry after preemption finds the last checkpoint restored by the backend: unpack it so
    # predict resumes (--resume is its default) from the committed work.
    restored=false
    if [ -s checkpoint.tar ]; then
      if tar -xf checkpoint.tar; then
        restored=true
        echo "resuming from checkpoint.tar" >&2
      else
        rm -rf "$out"
        echo "checkpoint.tar unreadable: starting over" >&2
      fi
    fi
    mkdir -p dnabert
    tar -xf "~{dnabert_tar}" -C dnabert
    dnabert_dir=$(dirname "$(find dnabert -name config.json | head -n 1)")

    # Pack the output directory (its .virnucpro checkpoint; the results too once written) every
    # few minutes, atomically: the backend may copy the file at any time.
    (
      while sleep $((~{checkpoint_minutes} * 60)); do
        if [ -d "$out/.virnucpro" ]; then
          tar -cf checkpoint.tar.tmp "$out" 2>/dev/null && mv checkpoint.tar.tmp checkpoint.tar
        fi
      done
    ) >/dev/null 2>&1 &
    packer=$!
    trap 'kill "$packer" 2>/dev/null || true' EXIT

    predict() {
      virnucpro predict "~{reads}" -o "$out" \
        --esm "~{esm}" --dnabert "$dnabert_dir" --classifier "~{classifier}" \
        --chunk-size ~{chunk_size} --device ~{device} --threads ~{cpu} --no-progress \
        ~{extra_args} "$@"
    }
    # A checkpoint packed while the results were being written can be refused: start over then.
    if ! predict; then
      if [ "$restored" = true ]; then
        echo "the restored checkpoint was refused: starting over" >&2
        predict --restart
      else
        exit 1
      fi
    fi
    virnucpro --version > VERSION
  >>>

  output {
    File sequences = "~{out_name}/sequences.tsv"
    File chunks = "~{out_name}/chunks.tsv"
    File regions_bed = "~{out_name}/regions.bed"
    File regions_tsv = "~{out_name}/regions.tsv"
    File prediction_results = "~{out_name}/prediction_results.txt"
    File highestscore = "~{out_name}/prediction_results_highestscore.csv"
    File report_html = "~{out_name}/report.html"
    String virnucpro_version = read_string("VERSION")
  }

  runtime {
    docker: docker
    cpu: cpu
    memory: "~{memory_gb} GB"
    disks: "local-disk ~{disk_gb} SSD"
    bootDiskSizeGb: 20
    gpuType: gpu_type
    gpuCount: gpu_count
    nvidiaDriverVersion: nvidia_driver_version
    zones: zones
    preemptible: preemptible
    maxRetries: max_retries
    checkpointFile: "checkpoint.tar"
  }

  parameter_meta {
    reads: "DNA FASTA (plain or gzip/bzip2/xz/zstd-compressed)"
    esm: "ESM-2 weights (fair-esm .pt)"
    dnabert_tar: "DNABERT-S directory packed as .tar or .tar.gz (config.json, tokenizer.json, weights)"
    classifier: "VirNucPro classifier for chunk_size (300_model.pth or 500_model.pth)"
    extra_args: "more virnucpro predict options, e.g. --precision bf16"
    gpu_count: "GPUs to attach (0: run on the CPU)"
  }
}
