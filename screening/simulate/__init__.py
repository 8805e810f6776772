"""The simulator: synthetic newborn genome VCFs with a truth table, for the demonstration and the tests.

Apart from the runtime: the engine, workers and web app never import it (only `screening simulate` and
`screening demo` do), and it owns all VCF writing.

- ``batch``: ``simulate_batch`` writes a screenable batch (VCFs, ClinVar snapshot, manifest, truth)
- ``scenarios``: one scenario per rule and real-world VCF shape, with its expected outcome
- ``plan``: planting calls and the truth of each baby
- ``background``: a baby's background calls, in the styles of GATK, DRAGEN and DeepVariant
- ``genome``: the synthetic reference: contigs, gene places, PAR/XTR/MSY segments
- ``vcf_files``: writing VCF text as BGZF with its index (also used by tests for hand-written VCFs)
"""

from screening.simulate.batch import MANIFEST_COLUMNS, SCALES, simulate_batch

__all__ = ["MANIFEST_COLUMNS", "SCALES", "simulate_batch"]
