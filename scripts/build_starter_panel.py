#!/usr/bin/env python3
# ruff: noqa: E501  (the curated table below is data: one gene per line)
"""Derive gene_panels/newborn-actionable/genes.tsv from a curated list and public gene tables.

Inputs (in ../shared/data, see gene_panels/newborn-actionable/SOURCES.md):
- genes/panelapp_genes_fixture_2018.json.tgz (Genomics England PanelApp, Apache-2.0): HGNC id and
  GRCh38 location (Ensembl release 90) of each gene.
- beginngs/moi_20240805.tsv (Rady Children's BeginNGS): mode of inheritance, used as a cross-check.
  Only the AR/AD/XR/XD label of a gene is read; nothing is copied.

The curated list below (symbol, mode, lof_mechanism, condition, note) and the urgency table after it
are the clinical judgement of this project. Every disagreement with BeginNGS is printed; where we keep our own mode the note says why.
The output is deterministic (sorted by chromosome and position, one line per gene and mode).

    .venv/bin/python scripts/build_starter_panel.py [--shared ../shared/data] [--out PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MOI = {"AR": "BIALLELIC", "AD": "MONOALLELIC", "XR": "XLINKED_BIALLELIC", "XD": "XLINKED_MONOALLELIC"}
CHROM_ORDER = {c: i for i, c in enumerate([*map(str, range(1, 23)), "X", "Y", "MT"])}
COLUMNS = ("hgnc_id", "symbol", "moi", "condition", "lof_mechanism", "chrom", "start", "end",
           "transcript", "active", "urgency", "source")  # fmt: skip
URGENCIES = ("immediate", "high", "routine")
FIXTURE_NOTE = "GRCh38: PanelApp genes fixture 2018 (HGNC 2017-11-03, Ensembl 90"

# Current HGNC symbol -> (symbol in the 2018 fixture, HGNC id expected): genes renamed since 2017.
RENAMED = {
    "MMUT": ("MUT", "HGNC:7526"),
    "G6PC1": ("G6PC", "HGNC:4056"),
    "CBLIF": ("GIF", "HGNC:4268"),
    "CYBC1": ("C17orf62", "HGNC:28672"),
}

# symbol | our mode (AR/AD/XR/XD) | lof_mechanism (y/n) | condition | note (reason for a choice)
CURATED = """
PAH|AR|y|Phenylketonuria|
PTS|AR|y|Tetrahydrobiopterin deficiency (6-pyruvoyl-tetrahydropterin synthase)|
GCH1|AR|y|Tetrahydrobiopterin deficiency with hyperphenylalaninaemia (GTP cyclohydrolase I)|AR kept: the newborn-screened BH4 deficiency is biallelic; monoallelic GCH1 (dopa-responsive dystonia) has reduced penetrance and later onset
QDPR|AR|y|Dihydropteridine reductase deficiency|
SPR|AR|y|Sepiapterin reductase deficiency|
FAH|AR|y|Tyrosinaemia type I|
TAT|AR|y|Tyrosinaemia type II|
BCKDHA|AR|y|Maple syrup urine disease type 1A|
BCKDHB|AR|y|Maple syrup urine disease type 1B|
DBT|AR|y|Maple syrup urine disease type 2|
CBS|AR|y|Classical homocystinuria (cystathionine beta-synthase deficiency)|
ASS1|AR|y|Citrullinaemia type I|
ASL|AR|y|Argininosuccinic aciduria|
ARG1|AR|y|Arginase 1 deficiency|
CPS1|AR|y|Carbamoyl phosphate synthetase 1 deficiency|
NAGS|AR|y|N-acetylglutamate synthase deficiency|
OTC|XD|y|Ornithine transcarbamylase deficiency|
SLC25A15|AR|y|Hyperornithinaemia-hyperammonaemia-homocitrullinuria syndrome|
SLC25A13|AR|y|Citrin deficiency (neonatal intrahepatic cholestasis)|
SLC7A7|AR|y|Lysinuric protein intolerance|
GLUD1|AD|n|Hyperinsulinism-hyperammonaemia syndrome|lof_mechanism false: activating (gain-of-function) missense variants
MMUT|AR|y|Methylmalonic acidaemia (methylmalonyl-CoA mutase deficiency)|
MMAA|AR|y|Methylmalonic acidaemia, cblA type|
MMAB|AR|y|Methylmalonic acidaemia, cblB type|
MMACHC|AR|y|Methylmalonic acidaemia with homocystinuria, cblC type|
MMADHC|AR|y|Methylmalonic acidaemia and homocystinuria, cblD type|
LMBRD1|AR|y|Methylmalonic acidaemia with homocystinuria, cblF type|
ABCD4|AR|y|Methylmalonic acidaemia with homocystinuria, cblJ type|
MTR|AR|y|Homocystinuria-megaloblastic anaemia, cblG type|
MTRR|AR|y|Homocystinuria-megaloblastic anaemia, cblE type|
PCCA|AR|y|Propionic acidaemia|
PCCB|AR|y|Propionic acidaemia|
IVD|AR|y|Isovaleric acidaemia|
GCDH|AR|y|Glutaric aciduria type 1|
HMGCL|AR|y|3-hydroxy-3-methylglutaryl-CoA lyase deficiency|
HMGCS2|AR|y|Mitochondrial HMG-CoA synthase deficiency|
ACAT1|AR|y|Beta-ketothiolase deficiency|
OXCT1|AR|y|Succinyl-CoA:3-oxoacid CoA transferase deficiency|
HLCS|AR|y|Holocarboxylase synthetase deficiency|
BTD|AR|y|Biotinidase deficiency|
TCN2|AR|y|Transcobalamin deficiency|
CBLIF|AR|y|Congenital intrinsic factor deficiency|
AMN|AR|y|Imerslund-Grasbeck syndrome (vitamin B12 malabsorption)|
ACADM|AR|y|Medium-chain acyl-CoA dehydrogenase deficiency|
ACADVL|AR|y|Very long-chain acyl-CoA dehydrogenase deficiency|
HADHA|AR|y|Long-chain 3-hydroxyacyl-CoA dehydrogenase / trifunctional protein deficiency|
HADHB|AR|y|Mitochondrial trifunctional protein deficiency|
CPT1A|AR|y|Carnitine palmitoyltransferase IA deficiency|
CPT2|AR|y|Carnitine palmitoyltransferase II deficiency|
SLC25A20|AR|y|Carnitine-acylcarnitine translocase deficiency|
SLC22A5|AR|y|Primary carnitine deficiency|
ETFA|AR|y|Multiple acyl-CoA dehydrogenase deficiency (ETFA)|
ETFB|AR|y|Multiple acyl-CoA dehydrogenase deficiency (ETFB)|
ETFDH|AR|y|Multiple acyl-CoA dehydrogenase deficiency (ETFDH)|
FLAD1|AR|y|Riboflavin-responsive FAD synthase deficiency|
HADH|AR|y|Congenital hyperinsulinism (3-hydroxyacyl-CoA dehydrogenase deficiency)|
GALT|AR|y|Classic galactosaemia|
GALK1|AR|y|Galactokinase deficiency|
ALDOB|AR|y|Hereditary fructose intolerance|
FBP1|AR|y|Fructose-1,6-bisphosphatase deficiency|
G6PC1|AR|y|Glycogen storage disease type Ia|
SLC37A4|AR|y|Glycogen storage disease type Ib|
AGL|AR|y|Glycogen storage disease type III|
GAA|AR|y|Pompe disease (glycogen storage disease type II)|
SLC5A1|AR|y|Congenital glucose-galactose malabsorption|
SLC2A1|AD|y|GLUT1 deficiency syndrome|
PGM1|AR|y|PGM1-CDG (galactose-responsive)|
MPI|AR|y|MPI-CDG (mannose-responsive)|
SLC35C1|AR|y|SLC35C1-CDG, leukocyte adhesion deficiency type II (fucose-responsive)|
IDUA|AR|y|Mucopolysaccharidosis type I|
IDS|XR|y|Mucopolysaccharidosis type II|
GALNS|AR|y|Mucopolysaccharidosis type IVA|
ARSB|AR|y|Mucopolysaccharidosis type VI|
GUSB|AR|y|Mucopolysaccharidosis type VII|
SMPD1|AR|y|Acid sphingomyelinase deficiency|
LIPA|AR|y|Lysosomal acid lipase deficiency (Wolman disease)|
TPP1|AR|y|Neuronal ceroid lipofuscinosis type 2 (CLN2)|
ARSA|AR|y|Metachromatic leukodystrophy|
GALC|AR|y|Krabbe disease|
NPC1|AR|y|Niemann-Pick disease type C1|
NPC2|AR|y|Niemann-Pick disease type C2|
MAN2B1|AR|y|Alpha-mannosidosis|
CTNS|AR|y|Nephropathic cystinosis|
ABCD1|XR|y|X-linked adrenoleukodystrophy|
ALDH7A1|AR|y|Pyridoxine-dependent epilepsy|
PNPO|AR|y|Pyridox(am)ine 5'-phosphate oxidase deficiency|
PLPBP|AR|y|Vitamin B6-dependent epilepsy (PLPBP)|
SLC19A3|AR|y|Biotin-thiamine-responsive basal ganglia disease|
SLC52A2|AR|y|Riboflavin transporter deficiency type 2|
SLC52A3|AR|y|Riboflavin transporter deficiency type 1|
SLC46A1|AR|y|Hereditary folate malabsorption|
FOLR1|AR|y|Cerebral folate transport deficiency|
MOCS1|AR|y|Molybdenum cofactor deficiency type A|
GAMT|AR|y|Guanidinoacetate methyltransferase deficiency|
GATM|AR|y|Arginine:glycine amidinotransferase deficiency|
TH|AR|y|Tyrosine hydroxylase deficiency|
DDC|AR|y|Aromatic L-amino acid decarboxylase deficiency|
PHGDH|AR|y|3-phosphoglycerate dehydrogenase deficiency|
PSAT1|AR|y|Phosphoserine aminotransferase deficiency|
PSPH|AR|y|Phosphoserine phosphatase deficiency|
ATP7A|XR|y|Menkes disease|
ATP7B|AR|y|Wilson disease|
COQ2|AR|y|Primary coenzyme Q10 deficiency (COQ2)|
COQ4|AR|y|Primary coenzyme Q10 deficiency (COQ4)|
COQ6|AR|y|Primary coenzyme Q10 deficiency (COQ6)|
COQ8B|AR|y|Primary coenzyme Q10 deficiency (COQ8B)|
PDSS1|AR|y|Primary coenzyme Q10 deficiency (PDSS1)|
PDSS2|AR|y|Primary coenzyme Q10 deficiency (PDSS2)|
PDHA1|XD|y|Pyruvate dehydrogenase E1-alpha deficiency|
AGXT|AR|y|Primary hyperoxaluria type 1|
ALPL|AR|y|Hypophosphatasia (perinatal and infantile)|
PHEX|XD|y|X-linked hypophosphataemia|
CYP21A2|AR|y|Congenital adrenal hyperplasia (21-hydroxylase deficiency)|
CYP11B1|AR|y|Congenital adrenal hyperplasia (11-beta-hydroxylase deficiency)|
HSD3B2|AR|y|Congenital adrenal hyperplasia (3-beta-hydroxysteroid dehydrogenase deficiency)|
CYP17A1|AR|y|Congenital adrenal hyperplasia (17-alpha-hydroxylase deficiency)|
STAR|AR|y|Congenital lipoid adrenal hyperplasia|
CYP11A1|AR|y|Adrenal insufficiency (cholesterol side-chain cleavage deficiency)|
CYP11B2|AR|y|Aldosterone synthase deficiency (neonatal salt wasting)|
POR|AR|y|Cytochrome P450 oxidoreductase deficiency|
MC2R|AR|y|Familial glucocorticoid deficiency type 1|
MRAP|AR|y|Familial glucocorticoid deficiency type 2|
NNT|AR|y|Familial glucocorticoid deficiency (NNT)|
NR0B1|XR|y|X-linked adrenal hypoplasia congenita|
TSHR|AR|y|Congenital hypothyroidism (TSH resistance)|
TPO|AR|y|Congenital hypothyroidism (thyroid peroxidase deficiency)|
TG|AR|y|Congenital hypothyroidism (thyroglobulin deficiency)|
DUOX2|AR|y|Congenital hypothyroidism (DUOX2)|
DUOXA2|AR|y|Congenital hypothyroidism (DUOXA2)|
SLC5A5|AR|y|Congenital hypothyroidism (iodide transport defect)|
IYD|AR|y|Congenital hypothyroidism (iodotyrosine deiodinase deficiency)|
TSHB|AR|y|Congenital central hypothyroidism (TSH beta deficiency)|
PAX8|AD|y|Congenital hypothyroidism (thyroid dysgenesis, PAX8)|
GLIS3|AR|y|Neonatal diabetes with congenital hypothyroidism|
PROP1|AR|y|Combined pituitary hormone deficiency (PROP1)|
POU1F1|AD|n|Combined pituitary hormone deficiency (POU1F1)|lof_mechanism false: monoallelic disease is dominant-negative missense
HESX1|AR|y|Septo-optic dysplasia, combined pituitary hormone deficiency (HESX1)|
LHX3|AR|y|Combined pituitary hormone deficiency (LHX3)|
TBX19|AR|y|Congenital isolated ACTH deficiency|
ABCC8|AR|y|Congenital hyperinsulinism (ABCC8)|
KCNJ11|AD|n|Neonatal diabetes mellitus (KCNJ11)|lof_mechanism false: activating variants cause neonatal diabetes
INS|AD|n|Neonatal diabetes mellitus (INS)|lof_mechanism false: misfolding missense variants
EIF2AK3|AR|y|Wolcott-Rallison syndrome (neonatal diabetes)|
PTF1A|AR|y|Neonatal diabetes with pancreatic agenesis|
NEUROG3|AR|y|Congenital malabsorptive diarrhoea with neonatal diabetes|
HBB|AR|n|Sickle cell disease and beta-thalassaemia|lof_mechanism false: sickle cell is a missense allele; curated and ClinVar routes only
HBA1|AR|n|Alpha-thalassaemia (HbH disease)|lof_mechanism false: severity depends on all four alpha-globin genes; curated and ClinVar routes only
HBA2|AR|n|Alpha-thalassaemia (HbH disease)|lof_mechanism false: severity depends on all four alpha-globin genes; curated and ClinVar routes only
G6PD|XR|n|Glucose-6-phosphate dehydrogenase deficiency|lof_mechanism false: deficient alleles are missense; null alleles are not viable
PKLR|AR|y|Pyruvate kinase deficiency|
F8|XR|y|Haemophilia A|
F9|XR|y|Haemophilia B|
F13A1|AR|y|Factor XIII A-subunit deficiency|
FGA|AR|y|Congenital afibrinogenaemia (FGA)|
FGB|AR|y|Congenital afibrinogenaemia (FGB)|
PROC|AR|y|Severe congenital protein C deficiency|
ADAMTS13|AR|y|Congenital thrombotic thrombocytopenic purpura|
SBDS|AR|y|Shwachman-Diamond syndrome|
ELANE|AD|n|Severe congenital neutropenia (ELANE)|lof_mechanism false: missense and late-truncating variants act by a toxic gain of function
HAX1|AR|y|Severe congenital neutropenia (HAX1)|
G6PC3|AR|y|Severe congenital neutropenia (G6PC3)|
CSF3R|AR|y|Severe congenital neutropenia (CSF3R)|
RPS19|AD|y|Diamond-Blackfan anaemia (RPS19)|
RPL5|AD|y|Diamond-Blackfan anaemia (RPL5)|
RPL11|AD|y|Diamond-Blackfan anaemia (RPL11)|
PRF1|AR|y|Familial haemophagocytic lymphohistiocytosis type 2|
UNC13D|AR|y|Familial haemophagocytic lymphohistiocytosis type 3|
STX11|AR|y|Familial haemophagocytic lymphohistiocytosis type 4|
STXBP2|AR|y|Familial haemophagocytic lymphohistiocytosis type 5|
RAB27A|AR|y|Griscelli syndrome type 2|
LYST|AR|y|Chediak-Higashi syndrome|
SH2D1A|XR|y|X-linked lymphoproliferative disease type 1|
XIAP|XR|y|X-linked lymphoproliferative disease type 2|XR kept: disease is in hemizygous males; heterozygous females are healthy carriers
IL2RG|XR|y|X-linked severe combined immunodeficiency|
JAK3|AR|y|Severe combined immunodeficiency (JAK3)|
IL7R|AR|y|Severe combined immunodeficiency (IL7R)|
RAG1|AR|y|Severe combined immunodeficiency, Omenn syndrome (RAG1)|
RAG2|AR|y|Severe combined immunodeficiency, Omenn syndrome (RAG2)|
DCLRE1C|AR|y|Radiosensitive severe combined immunodeficiency (Artemis)|
ADA|AR|y|Adenosine deaminase-deficient severe combined immunodeficiency|
PNP|AR|y|Purine nucleoside phosphorylase deficiency|
PRKDC|AR|y|Severe combined immunodeficiency (DNA-PKcs)|
LIG4|AR|y|LIG4 syndrome (combined immunodeficiency)|
NHEJ1|AR|y|Severe combined immunodeficiency with microcephaly (Cernunnos)|
AK2|AR|y|Reticular dysgenesis|
CD3D|AR|y|Severe combined immunodeficiency (CD3 delta)|
CD3E|AR|y|Severe combined immunodeficiency (CD3 epsilon)|
PTPRC|AR|y|Severe combined immunodeficiency (CD45)|
ZAP70|AR|y|Combined immunodeficiency (ZAP70)|
CORO1A|AR|y|Severe combined immunodeficiency (coronin-1A)|
FOXN1|AR|y|Athymia, nude severe combined immunodeficiency (FOXN1)|AR kept: athymic SCID is biallelic; monoallelic FOXN1 gives variable, often transient T-cell lymphopenia
RFXANK|AR|y|MHC class II deficiency (RFXANK)|
RFX5|AR|y|MHC class II deficiency (RFX5)|
CIITA|AR|y|MHC class II deficiency (CIITA)|
DOCK8|AR|y|DOCK8 deficiency|
WAS|XR|y|Wiskott-Aldrich syndrome|
BTK|XR|y|X-linked agammaglobulinaemia|
IGHM|AR|y|Agammaglobulinaemia (mu heavy chain deficiency)|
CD79A|AR|y|Agammaglobulinaemia (CD79A)|
CD40LG|XR|y|X-linked hyper-IgM syndrome|
CYBB|XR|y|X-linked chronic granulomatous disease|
CYBA|AR|y|Chronic granulomatous disease (p22phox)|
NCF1|AR|n|Chronic granulomatous disease (p47phox)|lof_mechanism false: NCF1 pseudogenes make short-read loss-of-function calls unreliable
NCF2|AR|y|Chronic granulomatous disease (p67phox)|
NCF4|AR|y|Chronic granulomatous disease (p40phox)|
CYBC1|AR|y|Chronic granulomatous disease (EROS)|
ITGB2|AR|y|Leukocyte adhesion deficiency type 1|
FOXP3|XR|y|IPEX syndrome|
IL10RA|AR|y|Very-early-onset inflammatory bowel disease (IL10RA)|
IL10RB|AR|y|Very-early-onset inflammatory bowel disease (IL10RB)|
IRAK4|AR|y|IRAK-4 deficiency|
MYD88|AR|y|MyD88 deficiency|
ADA2|AR|y|Deficiency of adenosine deaminase 2|
TCIRG1|AR|y|Infantile malignant osteopetrosis (TCIRG1)|
CFTR|AR|y|Cystic fibrosis|
CSF2RA|AR|y|Pulmonary alveolar proteinosis (CSF2RA, pseudoautosomal)|
CSF2RB|AR|y|Pulmonary alveolar proteinosis (CSF2RB)|
SMN1|AR|n|Spinal muscular atrophy|targeted caller (SMN1 copy number 0); lof_mechanism false: SMN2 paralogue makes SMN1 short-read variant calls unreliable
AQP2|AR|y|Nephrogenic diabetes insipidus (AQP2)|
AVPR2|XR|y|X-linked nephrogenic diabetes insipidus|
ATP6V0A4|AR|y|Distal renal tubular acidosis (ATP6V0A4)|
ATP6V1B1|AR|y|Distal renal tubular acidosis with deafness (ATP6V1B1)|
SCNN1A|AR|y|Autosomal recessive pseudohypoaldosteronism type 1 (SCNN1A)|
SCNN1B|AR|y|Autosomal recessive pseudohypoaldosteronism type 1 (SCNN1B)|
SCNN1G|AR|y|Autosomal recessive pseudohypoaldosteronism type 1 (SCNN1G)|
CHAT|AR|y|Congenital myasthenic syndrome with episodic apnoea (CHAT)|
COLQ|AR|y|Congenital myasthenic syndrome (COLQ)|
DOK7|AR|y|Congenital myasthenic syndrome (DOK7)|
RAPSN|AR|y|Congenital myasthenic syndrome (RAPSN)|
CHRNE|AR|y|Congenital myasthenic syndrome (CHRNE)|
GFPT1|AR|y|Congenital myasthenic syndrome (GFPT1)|
KCNQ1|AD|y|Long QT syndrome type 1|
KCNH2|AD|y|Long QT syndrome type 2|
RB1|AD|y|Retinoblastoma|
"""


# symbol | urgency | reason (only where the choice needs one; it goes into the source column).
# immediate: can decompensate or die in the first days or weeks of life, or treatment helps only when
# started in the first weeks; high: harm within weeks to months without treatment; routine: the rest.
URGENCY = """
PAH|high|
PTS|high|
GCH1|high|
QDPR|high|
SPR|high|
FAH|immediate|acute liver failure with coagulopathy can begin in the first weeks; nitisinone at once
TAT|high|
BCKDHA|immediate|
BCKDHB|immediate|
DBT|immediate|
CBS|routine|
ASS1|immediate|
ASL|immediate|
ARG1|high|not immediate although a urea-cycle disorder: neonatal hyperammonaemia is rare; treat before the progressive spasticity of early childhood
CPS1|immediate|
NAGS|immediate|
OTC|immediate|
SLC25A15|high|neonatal hyperammonaemia in a minority; most present in infancy or later
SLC25A13|high|neonatal intrahepatic cholestasis develops over weeks to months and responds to a lactose-free, MCT formula
SLC7A7|high|hyperammonaemia usually begins after weaning from breast milk
GLUD1|high|not immediate although a congenital hyperinsulinism: milder than KATP-channel disease, usually protein-triggered hypoglycaemia after the first months
MMUT|immediate|
MMAA|immediate|
MMAB|immediate|
MMACHC|immediate|the early-onset cblC form can decompensate in the first weeks
MMADHC|high|
LMBRD1|high|
ABCD4|high|
MTR|high|
MTRR|high|
PCCA|immediate|
PCCB|immediate|
IVD|immediate|
GCDH|high|encephalopathic crises from about 3 months: an emergency regimen must be in place before then
HMGCL|immediate|about a third present in the first days with hypoglycaemia and metabolic acidosis
HMGCS2|high|
ACAT1|high|
OXCT1|immediate|about half present with ketoacidosis in the first week
HLCS|immediate|
BTD|high|
TCN2|high|
CBLIF|routine|
AMN|routine|
ACADM|immediate|
ACADVL|immediate|
HADHA|immediate|
HADHB|immediate|
CPT1A|high|
CPT2|high|most biallelic genotypes give the infantile or later myopathic form; the lethal neonatal form is rarely treatable
SLC25A20|immediate|
SLC22A5|high|
ETFA|immediate|
ETFB|immediate|
ETFDH|immediate|neonatal-onset multiple acyl-CoA dehydrogenase deficiency occurs with all three genes, although ETFDH more often gives the later riboflavin-responsive form
FLAD1|high|
HADH|immediate|
GALT|immediate|
GALK1|high|
ALDOB|high|symptoms start when fructose or sucrose enters the diet, usually at weaning
FBP1|immediate|about half present with hypoglycaemia and lactic acidosis in the first days
G6PC1|high|
SLC37A4|high|
AGL|high|
GAA|high|classic infantile Pompe: cardiomyopathy within the first months; enzyme replacement is best started in the first weeks, at the boundary with immediate
SLC5A1|immediate|dehydrating diarrhoea from the first feeds
SLC2A1|high|
PGM1|high|
MPI|high|
SLC35C1|high|
IDUA|high|Hurler syndrome: stem cell transplant is best done before symptoms, in the first year
IDS|routine|
GALNS|routine|
ARSB|routine|
GUSB|routine|
SMPD1|routine|
LIPA|high|Wolman disease: failure to thrive from the first weeks and death within months without enzyme replacement
TPP1|routine|
ARSA|high|late-infantile form begins before 2 years; gene therapy helps only before symptoms
GALC|immediate|infantile Krabbe disease: stem cell transplant helps only in the first weeks of life, before symptoms
NPC1|routine|
NPC2|routine|
MAN2B1|routine|
CTNS|high|
ABCD1|routine|
ALDH7A1|immediate|
PNPO|immediate|
PLPBP|immediate|
SLC19A3|high|
SLC52A2|high|
SLC52A3|high|
SLC46A1|high|
FOLR1|routine|
MOCS1|immediate|
GAMT|high|
GATM|high|
TH|high|
DDC|high|
PHGDH|high|
PSAT1|high|
PSPH|high|
ATP7A|immediate|copper histidinate helps only when started in the first weeks of life
ATP7B|routine|
COQ2|high|
COQ4|high|
COQ6|routine|
COQ8B|routine|
PDSS1|high|
PDSS2|high|
PDHA1|high|
AGXT|high|infantile oxalosis can cause kidney failure in the first months
ALPL|immediate|perinatal and infantile forms: respiratory failure and pyridoxine-responsive seizures in the first days or weeks
PHEX|routine|
CYP21A2|immediate|
CYP11B1|high|not immediate although a congenital adrenal hyperplasia: salt wasting is unusual
HSD3B2|immediate|
CYP17A1|routine|
STAR|immediate|
CYP11A1|immediate|
CYP11B2|immediate|
POR|high|
MC2R|high|
MRAP|high|
NNT|high|
NR0B1|immediate|
TSHR|high|
TPO|high|
TG|high|
DUOX2|high|
DUOXA2|high|
SLC5A5|high|
IYD|high|
TSHB|high|
PAX8|high|
GLIS3|immediate|
PROP1|routine|
POU1F1|high|
HESX1|high|
LHX3|high|
TBX19|immediate|neonatal ACTH deficiency: severe hypoglycaemia in the first days, with a risk of neonatal death
ABCC8|immediate|
KCNJ11|immediate|
INS|immediate|
EIF2AK3|immediate|
PTF1A|immediate|
NEUROG3|immediate|malabsorptive diarrhoea from the first feeds
HBB|high|
HBA1|routine|
HBA2|routine|
G6PD|high|
PKLR|high|
F8|high|
F9|high|
F13A1|immediate|umbilical bleeding and intracranial haemorrhage in the first weeks
FGA|high|
FGB|high|
PROC|immediate|
ADAMTS13|high|
SBDS|high|
ELANE|high|
HAX1|high|
G6PC3|high|
CSF3R|high|
RPS19|high|
RPL5|high|
RPL11|high|
PRF1|high|
UNC13D|high|
STX11|high|
STXBP2|high|
RAB27A|high|
LYST|high|
SH2D1A|routine|
XIAP|routine|
IL2RG|immediate|
JAK3|immediate|
IL7R|immediate|
RAG1|immediate|
RAG2|immediate|
DCLRE1C|immediate|
ADA|immediate|
PNP|immediate|
PRKDC|immediate|
LIG4|high|
NHEJ1|immediate|
AK2|immediate|
CD3D|immediate|
CD3E|immediate|
PTPRC|immediate|
ZAP70|immediate|
CORO1A|immediate|
FOXN1|immediate|
RFXANK|high|
RFX5|high|
CIITA|high|
DOCK8|routine|
WAS|high|
BTK|high|
IGHM|high|
CD79A|high|
CD40LG|high|
CYBB|high|
CYBA|high|
NCF1|high|
NCF2|high|
NCF4|high|
CYBC1|high|
ITGB2|high|
FOXP3|immediate|
IL10RA|high|
IL10RB|high|
IRAK4|high|
MYD88|high|
ADA2|routine|
TCIRG1|high|
CFTR|high|
CSF2RA|routine|
CSF2RB|routine|
SMN1|immediate|not high: every SMN1 finding is copy number 0 (an affected baby) and gene therapy or nusinersen works best before symptoms, which in type 1 begin in the first weeks
AQP2|high|
AVPR2|high|
ATP6V0A4|high|
ATP6V1B1|high|
SCNN1A|immediate|
SCNN1B|immediate|
SCNN1G|immediate|
CHAT|immediate|
COLQ|high|
DOK7|routine|
RAPSN|high|
CHRNE|high|
GFPT1|routine|
KCNQ1|high|
KCNH2|high|
RB1|high|
"""


def curated_rows() -> list[dict[str, str]]:
    rows = []
    for line in CURATED.strip().splitlines():
        symbol, moi, lof, condition, note = line.split("|")
        rows.append({"symbol": symbol, "moi": moi, "lof": lof, "condition": condition, "note": note})
    symbols = [r["symbol"] for r in rows]
    duplicated = sorted({s for s in symbols if symbols.count(s) > 1})
    if duplicated:
        sys.exit(f"curated list names these genes twice: {', '.join(duplicated)}")
    return rows


def urgency_table(curated: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    """symbol -> (urgency, reason): exactly one line per curated gene, each a known urgency."""
    table: dict[str, tuple[str, str]] = {}
    for line in URGENCY.strip().splitlines():
        symbol, urgency, reason = line.split("|")
        if symbol in table or urgency not in URGENCIES:
            sys.exit(f"urgency table: {symbol} is listed twice or has an unknown urgency {urgency!r}")
        table[symbol] = (urgency, reason)
    symbols = {c["symbol"] for c in curated}
    missing, extra = sorted(symbols - set(table)), sorted(set(table) - symbols)
    if missing or extra:
        sys.exit(
            f"urgency table: no urgency for {', '.join(missing) or '-'}; not curated: {', '.join(extra) or '-'}"
        )
    return table


def read_fixture(path: Path) -> dict[str, dict]:
    """hgnc_symbol -> fields, for active records with a GRCh38 location (quirks: see data README)."""
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("genes.json"))
        records = json.load(io.TextIOWrapper(tar.extractfile(member), encoding="utf-8"))
    table = {}
    for record in records:
        fields = record.get("fields") or {}
        symbol = fields.get("hgnc_symbol")
        ensembl = fields.get("ensembl_genes") or "{}"
        ensembl = json.loads(ensembl) if isinstance(ensembl, str) else ensembl
        if symbol and fields.get("active") and ensembl.get("GRch38"):
            table[symbol] = {**fields, "ensembl_genes": ensembl}
    return table


def read_beginngs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {g.upper(): m for g, m in (line.split("\t")[:2] for line in lines[1:] if line.strip())}


def locate(symbol: str, fixture: dict[str, dict]) -> tuple[str, str, int, int, str, str]:
    """(hgnc_id, chrom, start, end, ensembl_id, fixture symbol) of a gene in GRCh38 (Ensembl 90)."""
    old, expected_id = RENAMED.get(symbol, (symbol, None))
    fields = fixture.get(old)
    if fields is None:
        sys.exit(f"{symbol}: not in the PanelApp genes fixture (as {old})")
    if expected_id and fields["hgnc_id"] != expected_id:
        sys.exit(f"{symbol}: fixture {old} is {fields['hgnc_id']}, expected {expected_id}")
    releases = fields["ensembl_genes"]["GRch38"]
    entry = releases[max(releases, key=int)]
    chrom, span = entry["location"].split(":")
    start, end = (int(x) for x in span.split("-"))
    return fields["hgnc_id"], chrom, start, end, entry["ensembl_id"], old


def build_rows(curated, fixture, beginngs) -> tuple[list[list[str]], list[str]]:
    out, disagreements = [], []
    urgencies = urgency_table(curated)
    for c in curated:
        hgnc_id, chrom, start, end, ensembl_id, old = locate(c["symbol"], fixture)
        theirs = beginngs.get(c["symbol"].upper())
        if theirs is None:
            moi_source = "MOI: curated (gene not in BeginNGS moi_20240805)"
        elif theirs == c["moi"]:
            moi_source = f"MOI: BeginNGS moi_20240805 {theirs}"
        else:
            moi_source = f"MOI: curated {c['moi']}, BeginNGS moi_20240805 says {theirs}"
            disagreements.append(
                f"{c['symbol']}: ours {c['moi']}, BeginNGS {theirs} -- {c['note'] or 'NO REASON'}"
            )
        renamed = f", symbol there {old}" if old != c["symbol"] else ""
        parts = [moi_source, "condition: curated", f"{FIXTURE_NOTE}, {ensembl_id}{renamed})"]
        if c["note"]:
            parts.append(f"note: {c['note']}")
        urgency, reason = urgencies[c["symbol"]]
        if reason:
            parts.append(f"urgency: {reason}")
        lof = "true" if c["lof"] == "y" else "false"
        out.append([hgnc_id, c["symbol"], MOI[c["moi"]], c["condition"], lof, chrom, str(start), str(end),
                    "", "true", urgency, "; ".join(parts)])  # fmt: skip
    out.sort(key=lambda r: (CHROM_ORDER[r[5]], int(r[6]), int(r[7]), r[0], r[2]))
    return out, disagreements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "gene_panels" / "newborn-actionable" / "genes.tsv")
    args = parser.parse_args(argv)
    fixture = read_fixture(args.shared / "genes" / "panelapp_genes_fixture_2018.json.tgz")
    beginngs = read_beginngs(args.shared / "beginngs" / "moi_20240805.tsv")
    rows, disagreements = build_rows(curated_rows(), fixture, beginngs)
    text = "\n".join("\t".join(r) for r in [list(COLUMNS), *rows]) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(rows)} genes to {args.out}")
    mix = {m: sum(r[2] == m for r in rows) for m in sorted(set(MOI.values()))}
    print("modes:", ", ".join(f"{m} {n}" for m, n in mix.items()))
    print("urgency:", ", ".join(f"{u} {sum(r[10] == u for r in rows)}" for u in URGENCIES))
    print(f"MOI disagreements with BeginNGS: {len(disagreements)}")
    for line in disagreements:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
