process VIRNUCPRO_PREDICT {
    tag "$meta.id"
    label 'process_high'
    label 'process_gpu'

    conda "${moduleDir}/environment.yml"
    container "${ workflow.containerEngine == 'singularity' && !task.ext.singularity_pull_docker_container ?
        'https://depot.galaxyproject.org/singularity/virnucpro:0.1.0--h9ee0642_0' :
        'biocontainers/virnucpro:0.1.0--h9ee0642_0' }"

    input:
    tuple val(meta), path(reads)
    path esm        // ESM-2 weights (esm2_t36_3B_UR50D.pt or a Hugging Face directory); [] = virnucpro's weight store
    path dnabert    // DNABERT-S directory; [] = virnucpro's weight store
    path classifier // 300_model.pth / 500_model.pth; [] = the one matching --chunk-size from the weight store

    output:
    tuple val(meta), path("${prefix}/sequences.tsv")                      , emit: sequences
    tuple val(meta), path("${prefix}/prediction_results.txt")             , emit: chunks_scores
    tuple val(meta), path("${prefix}/prediction_results_highestscore.csv"), emit: highestscore
    tuple val(meta), path("${prefix}/chunks.tsv")                         , emit: chunks
    tuple val(meta), path("${prefix}/regions.{bed,tsv}")                  , emit: regions
    tuple val(meta), path("${prefix}/report.html")                        , emit: html, optional: true
    tuple val(meta), path("${prefix}/*.{fa,fna,fasta}.gz")                , emit: fasta, optional: true
    tuple val(meta), path("${prefix}/*_mqc.{tsv,yaml}")                   , emit: mqc, optional: true
    tuple val("${task.process}"), val('virnucpro'), eval('virnucpro --version'), emit: versions_virnucpro, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    def models = [
        esm        ? "--esm ${esm}" : '',
        dnabert    ? "--dnabert ${dnabert}" : '',
        classifier ? "--classifier ${classifier}" : '',
    ].join(' ').trim()
    // A GPU when the task was given one (label process_gpu + accelerator), the CPU otherwise.
    def device = task.accelerator ? 'cuda' : 'cpu'
    """
    virnucpro predict \\
        ${reads} \\
        -o ${prefix} \\
        --device ${device} \\
        --threads ${task.cpus} \\
        --no-progress \\
        ${models} \\
        ${args}
    """

    stub:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo ${args}
    mkdir -p ${prefix}
    touch ${prefix}/sequences.tsv ${prefix}/prediction_results.txt ${prefix}/prediction_results_highestscore.csv
    touch ${prefix}/chunks.tsv ${prefix}/regions.bed ${prefix}/regions.tsv ${prefix}/report.html
    """
}
