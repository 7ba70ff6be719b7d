"""Canonical taxonomy of every factor, and the mapping of every source label to it.

One module serves two callers:

* data harmonization maps the labels of each source (aijobs.net, Stack Overflow 2023/2024/2025,
  the subsets in shared/data and the official full ``survey_results_public.csv`` files) to one
  canonical value per factor, so a label from any survey year lands where training put it;
* user-input validation maps what a person types (a source label, the canonical value, or a
  short form such as "mle", "msc", "usa", "torch") to the same canonical value, and otherwise
  raises :class:`UnknownLabel` with a one-line message and close suggestions.

Matching ignores case, surrounding/repeated whitespace, the typographic apostrophe (SO writes
"Master’s", people type "Master's"), accents, ``-``/``_`` versus a space, and thousands commas
("10,000" = "10000").

The tables below are the documentation: each canonical value lists the labels that map to it,
with a comment where a choice was not obvious. Import stays light on purpose (standard library
and pycountry only): the CLI imports this for input validation before any heavy library.

Where the labels come from
--------------------------
* The four files in shared/data (see shared/data/SOURCES.md); tests/test_taxonomy.py checks that
  every label in them maps.
* Official full-file answer options, looked up in public repositories that analyse the surveys
  (no official schema file could be read directly):

  - SO 2025 options for EdLevel, DevType, OrgSize, RemoteWork, Industry and the
    Language/Database/Platform/Webframe columns: an option list in a public analysis repo
    (``get_features_answers`` helper) and a salary-predictor app listing the same 2025 DevType,
    Language, Database, Platform and Webframe options; the 2025 RemoteWork options also appear
    in a Databricks quality notebook that compares 2022-2025 option sets, and in several apps.
    2025 merged the old Platform and ToolsTech lists into one ``PlatformHaveWorkedWith`` column
    and has no MiscTech/ToolsTech columns (a multi-year SO survey loader, "askjev", says so).
    2025 Industry: one source spells the catch-all "Other (please specify):", the project's own
    fixture "Other:"; both are mapped.
  - SO 2024 options for the skill columns (Language incl. MicroPython/Zephyr, Database incl.
    Databricks SQL/EventStoreDB/Presto, Platform incl. Alibaba Cloud/Databricks/PythonAnywhere,
    Webframe incl. Astro/Htmx/Strapi/Yii 2, MiscTech incl. DirectX/OpenCL/mlflow/Roslyn/Ruff,
    the new Embedded column with Arduino/Rasberry Pi/PlatformIO/ZMK): a salary-predictor app's
    option lists (hand copied by its author, so it could be incomplete).
  - SO 2023 full-file options: the 2023 subset in shared/data holds the original long labels for
    every column except EdLevel and OrgSize (its authors shortened those); the long 2023 EdLevel
    and OrgSize spellings are the same as 2024's (confirmed by the project's fixture of the 2023
    format and by analysis repos).
  - Not confirmed: the complete 2024 ToolsTech list and whether 2024/2025 added options not seen
    in those lists. Plausible spellings are mapped anyway; anything else raises UnknownLabel
    (the harmonizer counts it as unmapped instead of guessing).
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping


__all__ = [
    "FACTOR_VALUES",
    "SKILLS",
    "SKILL_CATEGORIES",
    "UnknownLabel",
    "aliases",
    "country_name",
    "normalize",
    "normalize_country",
    "normalize_skill",
    "normalize_skills",
    "read_title",
    "role_from_job_title",
    "skill_category",
]


# --------------------------------------------------------------------------------------------
# Non-answers
# --------------------------------------------------------------------------------------------

# Labels that mean "no answer" in every factor: SO writes NA for a skipped question, pandas
# writes nan, and the SO 2023 subset leaves the cell empty. "I don't know" and "Prefer not to
# say" are answer options of SO questions that carry no value for any factor.
NO_ANSWER_LABELS: tuple[str, ...] = (
    "",
    "NA",
    "N/A",
    "nan",
    "NaN",
    "None",
    "null",
    "unknown",
    "I don’t know",
    "I don't know",
    "Prefer not to say",
    "I prefer not to say",
)


# --------------------------------------------------------------------------------------------
# Seniority
# --------------------------------------------------------------------------------------------

# aijobs.net experience_level codes with the wording aijobs.net shows next to them. The SO
# surveys have no seniority question (only years), so only aijobs labels and the level words of
# LEVELS below map here.
SENIORITY: dict[str, tuple[str, ...]] = {
    "entry": ("EN", "Entry-level / Junior", "entry-level", "entry level"),
    "mid": ("MI", "Mid-level / Intermediate", "mid-level", "mid level"),
    "senior": ("SE", "Senior-level / Expert", "senior-level", "senior level"),
    "executive": ("EX", "Executive-level / Director", "executive-level"),
}

# THE level table: the words people use for a level, in a title ("Staff ML Engineer") or as
# --seniority, mapped onto the four levels the data knows (aijobs EN/MI/SE/EX). One table serves
# --seniority, the batch `level` column and the level read from a title.
# Evidence: in the aijobs snapshot (2025-01-19) titles holding "Lead" are 95% SE, "Staff" 93% SE,
# "Principal" 91% SE, "Head" 92% EX, "Director" 70% EX, "Associate" 83% MI (not entry: aijobs'
# "Associate …" titles are mostly mid-level). The rest follows aijobs' own wording: EX is
# "Executive-level / Director", so director and above, and the IC ranks paid like directors
# (distinguished engineer, fellow), are executive.
LEVELS: dict[str, str] = {
    # entry: students, interns, new graduates, juniors
    "intern": "entry", "internship": "entry", "trainee": "entry", "apprentice": "entry",
    "graduate": "entry", "new grad": "entry", "junior": "entry", "jr": "entry", "jr.": "entry",
    "entry": "entry",
    # mid
    "associate": "mid", "mid": "mid", "intermediate": "mid", "medior": "mid", "regular": "mid",
    # senior: every senior individual-contributor rank; a "Lead" in a title is one too (95% SE)
    "senior": "senior", "sr": "senior", "sr.": "senior", "expert": "senior", "lead": "senior",
    "tech lead": "senior", "staff": "senior", "senior staff": "senior", "principal": "senior",
    # executive: director and above, and their IC equivalents
    "distinguished": "executive", "fellow": "executive", "director": "executive",
    "senior director": "executive", "head": "executive", "vp": "executive",
    "svp": "executive", "evp": "executive", "vice president": "executive", "exec": "executive",
    "executive": "executive", "c-level": "executive", "chief": "executive",
}
# Numbered ladders, read by the same table's logic:
#   * L/E/IC + number (Google L3-L10, Meta E3-E9): 3 and below entry (new grad), 4 mid,
#     5-8 senior (senior, staff, senior staff, principal), 9 and up executive (distinguished,
#     fellow). Companies whose numbers start elsewhere (Amazon's L4 = SDE I) read one level high.
#   * Roman numerals at the end of a title ("ML Engineer II"): I entry, II mid, III-V senior.
LADDER_LEVELS: tuple[tuple[int, str], ...] = ((3, "entry"), (4, "mid"), (8, "senior"))  # upper bounds
ROMAN_LEVELS: dict[str, str] = {"i": "entry", "ii": "mid", "iii": "senior", "iv": "senior", "v": "senior"}
_LADDER = re.compile(r"(?:l|e|ic)\s?(\d{1,2})")


def ladder_level(key: str) -> str | None:
    """Seniority of a ladder code ("L5", "e4", "IC6") or a Roman numeral ("II"); None otherwise."""
    match = _LADDER.fullmatch(key)
    if match:
        number = int(match.group(1))
        for upper, level in LADDER_LEVELS:
            if number <= upper:
                return level
        return "executive"
    return ROMAN_LEVELS.get(key)


# --------------------------------------------------------------------------------------------
# Education
# --------------------------------------------------------------------------------------------

# SO EdLevel, long labels (2023 full file, 2024, 2025) and the short labels of the SO 2023 subset.
EDUCATION: dict[str, tuple[str, ...]] = {
    "primary": ("Primary/elementary school", "primary", "primary school", "elementary", "elementary school"),
    "secondary": (
        "Secondary school (e.g. American high school, German Realschule or Gymnasium, etc.)",
        "Secondary school",
        "secondary",
        "high school",
        "highschool",
        "ged",
        "a-levels",
        "a levels",
        "abitur",
        "baccalaureat",
        "matura",
        "bachillerato",
    ),
    "some-college": (
        "Some college/university study without earning a degree",
        "some college",
        "some university",
        "college without degree",
    ),
    "associate": ("Associate degree (A.A., A.S., etc.)", "Associate degree", "associate", "associates", "associate's"),
    "bachelor": (
        "Bachelor’s degree (B.A., B.S., B.Eng., etc.)",
        "Bachelor's degree",
        "bachelor",
        "bachelors",
        "bachelor's",
        "bsc",
        "b.sc",
        "b.sc.",
        "bs",
        "b.s.",
        "ba",
        "b.a.",
        "beng",
        "b.eng",
        "b.eng.",
        "undergraduate",
        # What people type, and the first degrees of the surveys' main countries: Indian and
        # other engineering bachelors, the German/Austrian Bachelor, Latin America's
        # Licenciatura / Grado (4-5 year first degrees), Italy's Laurea triennale.
        "btech",
        "b.tech",
        "b.tech.",
        "be",
        "b.e.",
        "b.e",
        "bca",
        "bba",
        "bachelor of science",
        "bachelor of arts",
        "bachelor of engineering",
        "bachelor of technology",
        "licenciatura",
        "licence",
        "grado",
        "laurea triennale",
    ),
    "master": (
        "Master’s degree (M.A., M.S., M.Eng., MBA, etc.)",
        "Master's degree",
        "master",
        "masters",
        "master's",
        "msc",
        "m.sc",
        "m.sc.",
        "ms",
        "m.s.",
        "ma",
        "m.a.",
        "meng",
        "m.eng",
        "m.eng.",
        "mba",
        # M.Tech (India), MCA, the German Diplom/Magister (pre-Bologna degrees equal to a
        # master's), Italy's Laurea magistrale, France's Master/DEA/DESS, Spain's Máster.
        "mtech",
        "m.tech",
        "m.tech.",
        "mca",
        "mphil",
        "m.phil",
        "master of science",
        "master of arts",
        "master of engineering",
        "master of business administration",
        "diplom",
        "dipl.-ing.",
        "dipl. ing.",
        "dipl ing",
        "diploma engineer",
        "magister",
        "laurea magistrale",
        "laurea",  # unqualified: the 4-5 year Laurea (pre-2001 and magistrale) equals a master's
        "maestria",
        "mestrado",
        "graduate degree",
        "postgraduate",
        "postgraduate degree",
    ),
    # SO lumps PhDs with JD/MD ("Professional degree (JD, MD, Ph.D, Ed.D, etc.)"), so a PhD
    # cannot be told apart in the data: "phd" and "doctorate" map to the lumped value.
    "doctorate-or-professional": (
        "Professional degree (JD, MD, Ph.D, Ed.D, etc.)",
        # 2022 asks them apart; they are lumped as in the later years, so one value means one thing.
        "Other doctoral degree (Ph.D., Ed.D., etc.)",
        "Professional degree (JD, MD, etc.)",
        "Professional degree",
        "professional",
        "phd",
        "ph.d",
        "ph.d.",
        "dphil",
        "doctorate",
        "doctoral",
        "doctor",
        "jd",
        "md",
        "edd",
        "ed.d",
        "d.phil",
        "d.phil.",
        "dr.",
        "dr",
        "doktor",
        "doctorat",
        "doctorado",
        "doutorado",
        "dottorato",
    ),
    # "Something else" (2023/2024) became "Other (please specify):" in 2025.
    # Bootcamps, self-teaching and vocational diplomas are none of SO's degree levels; SO's
    # respondents with them answer "Something else". (A "diploma" in India or the UK is a
    # vocational qualification below a degree; the German Diplom is a master's, above.)
    "other": (
        "Something else",
        "Other (please specify):",
        "other",
        "bootcamp",
        "coding bootcamp",
        "boot camp",
        "self-taught",
        "self taught",
        "selftaught",
        "autodidact",
        "diploma",
        "vocational",
        "vocational training",
        "certificate",
        "certification",
        "apprenticeship",
        "ausbildung",
    ),
}


# --------------------------------------------------------------------------------------------
# Role
# --------------------------------------------------------------------------------------------

# SO DevType labels (2023 full file and subset, 2024, 2025) and short forms. aijobs.net job
# titles are in AIJOBS_TITLE_ROLES below; normalize("role", …) accepts them too.
# Distinctions are kept where a source really makes them: SO 2023/2024 lump data scientists
# with ML specialists, SO 2025 and aijobs separate them, so the lumped label is its own value.
ROLE: dict[str, tuple[str, ...]] = {
    "ml-engineer": (
        "AI/ML engineer",  # SO 2025
        "ml-engineer",
        "ml engineer",
        "mle",
        "machine learning engineer",
        "ai engineer",
        "ai/ml engineer",
        "ml/ai engineer",
        "mlops",
        "mlops engineer",
        "ml ops engineer",
    ),
    "data-scientist-or-ml": (
        "Data scientist or machine learning specialist",  # SO 2023, SO 2024 (lumped)
        "data scientist or ml specialist",
        "ds/ml",
    ),
    "data-scientist": ("Data scientist", "data science", "ds"),  # SO 2025 (split from the lumped label)
    "ml-researcher": (
        "ml researcher",
        "ai researcher",
        "ml scientist",
        "ai scientist",
        "research scientist",
        "machine learning researcher",
        "machine learning scientist",
    ),
    # SO 2025 "Applied scientist" and the aijobs title "Applied Scientist" (mostly Amazon-style
    # applied ML scientists) are kept apart from researchers: both sources name it literally.
    "applied-scientist": ("Applied scientist",),
    "ai-developer": (
        "Developer, AI",  # SO 2024
        "Developer, AI apps or physical AI",  # SO 2025
        "ai developer",
        "ai dev",
        "ai app developer",
        "llm developer",
        "genai developer",
    ),
    "data-engineer": ("Data engineer", "Engineer, data", "data engineering"),  # 2024/2025, 2023
    "data-analyst": ("Data or business analyst", "data analyst", "business analyst", "bi analyst"),
    "financial-analyst": ("Financial analyst or engineer", "financial analyst", "quant", "quant analyst"),  # SO 2025
    "backend": ("Developer, back-end", "backend", "back-end", "backend developer", "backend engineer"),
    "frontend": ("Developer, front-end", "frontend", "front-end", "frontend developer", "frontend engineer"),
    "full-stack": ("Developer, full-stack", "full-stack", "fullstack", "full stack developer", "fullstack developer"),
    "mobile": ("Developer, mobile", "mobile", "mobile developer", "ios developer", "android developer"),
    "embedded": ("Developer, embedded applications or devices", "embedded", "embedded developer", "firmware engineer"),
    "desktop": ("Developer, desktop or enterprise applications", "desktop", "desktop developer"),
    "game": ("Developer, game or graphics", "game", "game developer", "gamedev", "graphics developer"),
    "qa": ("Developer, QA or test", "qa", "qa engineer", "test engineer", "tester", "sdet"),
    "devops": ("DevOps specialist", "DevOps engineer or professional", "devops", "devops engineer"),  # 2023/24, 2025
    "cloud": ("Cloud infrastructure engineer", "cloud", "cloud engineer"),
    "sre": ("Engineer, site reliability", "sre", "site reliability engineer"),
    "security": (
        "Security professional",  # 2023/2024
        "Cybersecurity or InfoSec professional",  # 2025
        "security",
        "infosec",
        "cybersecurity",
        "security engineer",
    ),
    "dba": ("Database administrator", "Database administrator or engineer", "dba"),  # 2023/24, 2025
    "architect": ("Architect, software or solutions", "architect", "software architect", "solutions architect"),  # SO 2025
    "engineering-manager": ("Engineering manager", "em", "eng manager", "engineering lead"),
    "executive": (
        "Senior Executive (C-Suite, VP, etc.)",  # 2023/2024; 2025 "Senior executive (C-suite, VP, etc.)" differs only in case
        "senior executive",
        "c-suite",
        "cto",
        "cio",
        "cdo",
    ),
    "product-manager": ("Product manager", "product owner"),
    "project-manager": ("Project manager", "program manager", "scrum master"),
    "academic-researcher": ("Academic researcher", "academic", "postdoc", "professor"),
    "scientist": ("Scientist",),  # SO 2023/2024 only; 2025 dropped it (and added "Applied scientist")
    "r-and-d": ("Research & Development role", "r&d", "research and development", "rnd"),  # SO 2023/2024 only
    "educator": ("Educator", "teacher", "lecturer", "instructor"),
    "student": ("Student", "intern", "internship"),
    # SO 2025 renamed "Designer" to a UX/UI label.
    "designer": ("Designer", "UX, Research Ops or UI design professional", "ux designer", "ui designer", "ux", "ui"),
    "developer-relations": ("Developer Advocate", "developer advocate", "devrel", "developer relations"),
    "developer-experience": ("Developer Experience", "devex", "dx"),
    "blockchain": ("Blockchain", "web3", "blockchain developer", "smart contract developer"),
    "hardware": ("Hardware Engineer", "hardware"),
    "sysadmin": ("System administrator", "sysadmin", "systems administrator"),
    "support": ("Support engineer or analyst", "support", "support engineer", "technical support"),  # SO 2025
    "sales-marketing": ("Marketing or sales professional", "sales", "marketing"),
    "founder": ("Founder, technology or otherwise", "founder", "co-founder", "cofounder"),  # SO 2025
    "retired": ("Retired",),  # SO 2025 DevType option
    "consultant": ("consulting",),  # aijobs titles only ("Consultant", "… Consultant")
    # aijobs has many generic titles ("Software Engineer", "Developer", "Engineer") that say
    # nothing about the specialty; SO has no such label. Kept as their own value rather than
    # guessed into back-end or full-stack.
    "software-engineer": ("software developer", "swe", "sde", "programmer", "software development engineer"),
    "other": ("Other (please specify):", "other"),
}


# aijobs.net job_title -> role, for EVERY title in the 2025-01-19 snapshot (288 titles). Explicit
# first because many titles are ambiguous and deserve a deliberate answer; role_from_job_title
# falls back to KEYWORD_ROLE_RULES for titles that newer aijobs files add. Seniority words
# ("Lead", "Principal", "Staff") do not change the role: seniority is its own factor.
# Decisions that apply to many rows:
#   * "Head of …", "Director of …", "… Manager" and team leads -> engineering-manager (people
#     managers of a technical/data team); "executive" is kept for C-suite/VP, as SO defines it.
#   * every "… Architect" (incl. Data/AI Architect) -> architect, like SO 2025's architect label.
#   * Analytics Engineer, ETL/Big Data/Data Platform titles -> data-engineer; BI developer/engineer,
#     visualisation, governance, data-management and reporting titles -> data-analyst.
#   * Computer Vision / NLP / Deep Learning / MLOps / ML platform titles -> ml-engineer;
#     AI Developer / AI Programmer / Prompt Engineer / Chatbot -> ai-developer (SO 2025's
#     "Developer, AI apps" is the same job: building apps on AI).
#   * Research Scientist / Research Engineer / ML Scientist / AI Scientist -> ml-researcher
#     (on an AI-jobs board "research" is ML research); Research Analyst -> data-analyst.
#   * Generic "Engineer", "Developer", "Software Engineer" -> software-engineer.
AIJOBS_TITLE_ROLES: dict[str, str] = {
    "AI Architect": "architect",
    "AI Data Engineer": "data-engineer",
    "AI Data Scientist": "data-scientist",
    "AI Developer": "ai-developer",
    "AI Engineer": "ml-engineer",
    "AI Engineering Manager": "engineering-manager",
    "AI Lead": "ml-engineer",
    "AI Machine Learning Engineer": "ml-engineer",
    "AI Product Manager": "product-manager",
    "AI Product Owner": "product-manager",
    "AI Programmer": "ai-developer",
    "AI Research Engineer": "ml-researcher",
    "AI Research Scientist": "ml-researcher",
    "AI Researcher": "ml-researcher",
    "AI Scientist": "ml-researcher",
    "AI Software Development Engineer": "ai-developer",
    "AI Software Engineer": "ai-developer",
    "AI Solution Architect": "architect",
    "AI Specialist": "ml-engineer",
    "AWS Data Architect": "architect",
    "Actuarial Analyst": "financial-analyst",
    "Admin & Data Analyst": "data-analyst",
    "Algorithm Developer": "ml-engineer",  # algorithm work on an AI-jobs board
    "Analista de Datos": "data-analyst",  # Spanish for "Data Analyst"
    "Analyst": "data-analyst",  # bare title on a data-jobs board (1,391 rows); doubtful
    "Analytics Analyst": "data-analyst",
    "Analytics Engineer": "data-engineer",  # builds data models/pipelines (dbt), not reports
    "Analytics Engineering Manager": "engineering-manager",
    "Analytics Lead": "data-analyst",
    "Analytics Specialist": "data-analyst",
    "Applied AI ML Lead": "ml-engineer",
    "Applied Data Scientist": "data-scientist",
    "Applied Machine Learning Engineer": "ml-engineer",
    "Applied Machine Learning Scientist": "applied-scientist",
    "Applied Research Scientist": "applied-scientist",
    "Applied Scientist": "applied-scientist",
    "Architect": "architect",
    "Artificial Intelligence Engineer": "ml-engineer",
    "Associate": "other",  # bare title, says nothing about the job (898 rows); doubtful
    "Autonomous Vehicle Technician": "hardware",
    "Azure Data Engineer": "data-engineer",
    "BI Analyst": "data-analyst",
    "BI Data Analyst": "data-analyst",
    "BI Data Engineer": "data-engineer",
    "BI Developer": "data-analyst",  # builds dashboards/reports
    "BI Engineer": "data-analyst",
    "Backend Developer": "backend",
    "Backend Engineer": "backend",
    "Backend Software Engineer": "backend",
    "Bear Robotics": "other",  # a company name in the title field, not a job title
    "Big Data Analyst": "data-analyst",
    "Big Data Architect": "architect",
    "Big Data Developer": "data-engineer",
    "Big Data Engineer": "data-engineer",
    "Bioinformatician": "scientist",
    "Bioinformatics Scientist": "scientist",
    "Business Analyst": "data-analyst",
    "Business Data Analyst": "data-analyst",
    "Business Development Manager": "sales-marketing",
    "Business Insights Manager": "engineering-manager",
    "Business Intelligence": "data-analyst",
    "Business Intelligence Analyst": "data-analyst",
    "Business Intelligence Consultant": "consultant",
    "Business Intelligence Data Analyst": "data-analyst",
    "Business Intelligence Developer": "data-analyst",
    "Business Intelligence Engineer": "data-analyst",
    "Business Intelligence Lead": "data-analyst",
    "Business Intelligence Manager": "engineering-manager",
    "Business Intelligence Specialist": "data-analyst",
    "CRM Data Analyst": "data-analyst",
    "Chatbot Developer": "ai-developer",
    "Clinical Data Operator": "data-analyst",
    "Cloud Data Architect": "architect",
    "Cloud Data Engineer": "data-engineer",
    "Cloud Database Administrator": "dba",
    "Cloud Database Engineer": "dba",
    "Cloud Developer": "cloud",
    "Cloud Engineer": "cloud",
    "Compliance Data Analyst": "data-analyst",
    "Computational Biologist": "scientist",
    "Computer Vision Engineer": "ml-engineer",
    "Computer Vision Software Engineer": "ml-engineer",
    "Consultant": "consultant",
    "Consultant Data Engineer": "data-engineer",  # the job is named: data engineering
    "Controls Engineer": "hardware",  # industrial control systems
    "Data Analyst": "data-analyst",
    "Data Analyst Lead": "data-analyst",
    "Data Analytics Associate": "data-analyst",
    "Data Analytics Consultant": "consultant",
    "Data Analytics Developer": "data-analyst",
    "Data Analytics Engineer": "data-engineer",
    "Data Analytics Lead": "data-analyst",
    "Data Analytics Manager": "engineering-manager",
    "Data Analytics Specialist": "data-analyst",
    "Data Analytics Team Lead": "engineering-manager",
    "Data Architect": "architect",
    "Data DevOps Engineer": "devops",
    "Data Developer": "data-engineer",
    "Data Engineer": "data-engineer",
    "Data Governance": "data-analyst",
    "Data Governance Analyst": "data-analyst",
    "Data Governance Architect": "architect",
    "Data Governance Engineer": "data-engineer",
    "Data Governance Lead": "data-analyst",
    "Data Governance Manager": "engineering-manager",
    "Data Governance Specialist": "data-analyst",
    "Data Infrastructure Engineer": "data-engineer",
    "Data Integration Analyst": "data-analyst",
    "Data Integration Coordinator": "data-analyst",
    "Data Integration Developer": "data-engineer",
    "Data Integration Engineer": "data-engineer",
    "Data Integration Specialist": "data-engineer",
    "Data Integrity Analyst": "data-analyst",
    "Data Lead": "engineering-manager",
    "Data Management Analyst": "data-analyst",
    "Data Management Associate": "data-analyst",
    "Data Management Consultant": "consultant",
    "Data Management Coordinator": "data-analyst",
    "Data Management Lead": "data-analyst",
    "Data Management Manager": "engineering-manager",
    "Data Management Specialist": "data-analyst",
    "Data Manager": "engineering-manager",
    "Data Modeler": "data-engineer",
    "Data Operations Analyst": "data-analyst",
    "Data Operations Associate": "data-analyst",
    "Data Operations Engineer": "data-engineer",
    "Data Operations Lead": "data-analyst",
    "Data Operations Manager": "engineering-manager",
    "Data Operations Specialist": "data-analyst",
    "Data Pipeline Engineer": "data-engineer",
    "Data Platform Engineer": "data-engineer",
    "Data Product Analyst": "data-analyst",
    "Data Product Manager": "product-manager",
    "Data Product Owner": "product-manager",
    "Data Quality Analyst": "data-analyst",
    "Data Quality Engineer": "data-engineer",
    "Data Quality Lead": "data-analyst",
    "Data Quality Manager": "engineering-manager",
    "Data Quality Specialist": "data-analyst",
    "Data Reporter": "data-analyst",
    "Data Reporting Analyst": "data-analyst",
    "Data Science Tech Lead": "data-scientist",
    "Data Scientist": "data-scientist",
    "Data Scientist Lead": "data-scientist",
    "Data Scientist Manager": "engineering-manager",
    "Data Specialist": "data-analyst",
    "Data Strategist": "data-analyst",
    "Data Strategy Lead": "data-analyst",
    "Data Strategy Manager": "engineering-manager",
    "Data Team Lead": "engineering-manager",
    "Data Visualization Analyst": "data-analyst",
    "Data Visualization Developer": "data-analyst",
    "Data Visualization Engineer": "data-analyst",
    "Data Visualization Specialist": "data-analyst",
    "Data and Reporting Analyst": "data-analyst",
    "Data and Reporting Professional": "data-analyst",
    "DataOps Engineer": "data-engineer",
    "Databricks Engineer": "data-engineer",
    "Decision Scientist": "data-scientist",
    "Deep Learning Engineer": "ml-engineer",
    "Deep Learning Researcher": "ml-researcher",
    "DevOps Engineer": "devops",
    "Developer": "software-engineer",
    "Director of Business Intelligence": "engineering-manager",
    "Director of Machine Learning": "engineering-manager",
    "ETL Developer": "data-engineer",
    "ETL Engineer": "data-engineer",
    "Elasticsearch Administrator": "dba",
    "Encounter Data Management Professional": "data-analyst",  # healthcare claims data
    "Engineer": "software-engineer",  # bare title (4,018 rows); doubtful
    "Engineering Manager": "engineering-manager",
    "Enterprise Account Executive": "sales-marketing",
    "Finance Data Analyst": "data-analyst",
    "Financial Data Analyst": "data-analyst",
    "Frontend Engineer": "frontend",
    "Full Stack Developer": "full-stack",
    "Full Stack Engineer": "full-stack",
    "Fullstack Engineer": "full-stack",
    "Head of AI": "engineering-manager",
    "Head of Business Intelligence": "engineering-manager",
    "Head of Data": "engineering-manager",
    "Head of Machine Learning": "engineering-manager",
    "Infrastructure Engineer": "cloud",
    "Insight Analyst": "data-analyst",
    "Lead AI Engineer": "ml-engineer",
    "Lead Analyst": "data-analyst",
    "Lead Data Analyst": "data-analyst",
    "Lead Data Engineer": "data-engineer",
    "Lead Data Scientist": "data-scientist",
    "Lead Engineer": "software-engineer",
    "Lead Machine Learning Engineer": "ml-engineer",
    "ML Engineer": "ml-engineer",  # not in the 2025-01-19 snapshot; named in SOURCES.md and newer files
    "ML Infrastructure Engineer": "ml-engineer",
    "MLOps Engineer": "ml-engineer",
    "Machine Learning Architect": "architect",
    "Machine Learning Developer": "ml-engineer",
    "Machine Learning Engineer": "ml-engineer",
    "Machine Learning Engineer 5": "ml-engineer",
    "Machine Learning Infrastructure Engineer": "ml-engineer",
    "Machine Learning Lead": "ml-engineer",
    "Machine Learning Manager": "engineering-manager",
    "Machine Learning Model Engineer": "ml-engineer",
    "Machine Learning Modeler": "ml-engineer",
    "Machine Learning Performance Engineer": "ml-engineer",
    "Machine Learning Platform Engineer": "ml-engineer",
    "Machine Learning Quality Engineer": "ml-engineer",
    "Machine Learning Research Engineer": "ml-researcher",
    "Machine Learning Researcher": "ml-researcher",
    "Machine Learning Scientist": "ml-researcher",
    "Machine Learning Software Engineer": "ml-engineer",
    "Machine Learning Specialist": "ml-engineer",
    "Machine Learning Tech Lead": "ml-engineer",
    "Machine Vision Engineer": "ml-engineer",
    "Manager": "engineering-manager",  # bare title on a data-jobs board (2,452 rows); doubtful
    "Manager Data Management": "engineering-manager",
    "Marketing Analyst": "data-analyst",
    "Marketing Analytics Manager": "engineering-manager",
    "Marketing Data Analyst": "data-analyst",
    "Marketing Data Engineer": "data-engineer",
    "Marketing Data Scientist": "data-scientist",
    "Master Data Management": "data-analyst",
    "Master Data Specialist": "data-analyst",
    "Member of Technical Staff": "ml-engineer",  # the AI labs' title for ML engineers/researchers; doubtful
    "NLP Engineer": "ml-engineer",
    "People Data Analyst": "data-analyst",
    "Platform Data Engineer": "data-engineer",
    "Platform Engineer": "devops",
    "Postdoctoral Fellow": "academic-researcher",
    "Power BI Administrator": "data-analyst",
    "Power BI Architect": "architect",
    "Power BI Consultant": "consultant",
    "Power BI Developer": "data-analyst",
    "Pricing Analyst": "financial-analyst",
    "Principal Application Delivery Consultant": "consultant",
    "Principal Data Analyst": "data-analyst",
    "Principal Data Architect": "architect",
    "Principal Data Engineer": "data-engineer",
    "Principal Data Scientist": "data-scientist",
    "Principal Machine Learning Engineer": "ml-engineer",
    "Principal Researcher": "ml-researcher",
    "Principal Software Architect": "architect",
    "Principal Statistical Programmer": "data-analyst",  # clinical-trial SAS programming
    "Product Analyst": "data-analyst",
    "Product Data Analyst": "data-analyst",
    "Product Designer": "designer",
    "Product Manager": "product-manager",
    "Product Owner": "product-manager",
    "Prompt Engineer": "ai-developer",
    "Python Developer": "software-engineer",
    "QA Engineer": "qa",
    "Quantitative Analyst": "financial-analyst",
    "Quantitative Developer": "financial-analyst",
    "Quantitative Research Analyst": "financial-analyst",
    "Quantitative Researcher": "financial-analyst",
    "Research Analyst": "data-analyst",
    "Research Assistant": "academic-researcher",
    "Research Associate": "academic-researcher",
    "Research Engineer": "ml-researcher",
    "Research Scientist": "ml-researcher",
    "Risk Analyst": "financial-analyst",
    "Robotics Engineer": "embedded",  # robot software runs on devices; doubtful (could be ai-developer)
    "Robotics Software Engineer": "embedded",
    "SAS Developer": "data-analyst",
    "Sales Data Analyst": "data-analyst",
    "Scala Spark Developer": "data-engineer",
    "Security Engineer": "security",
    "Site Reliability Engineer": "sre",
    "Software Architect": "architect",
    "Software Data Engineer": "data-engineer",
    "Software Developer": "software-engineer",
    "Software Development Engineer": "software-engineer",
    "Software Engineer": "software-engineer",
    "Solution Architect": "architect",
    "Solution Engineer": "consultant",  # customer-facing technical pre-sales; doubtful
    "Solutions Architect": "architect",
    "Solutions Engineer": "consultant",
    "Staff Data Analyst": "data-analyst",
    "Staff Data Scientist": "data-scientist",
    "Staff Machine Learning Engineer": "ml-engineer",
    "Stage": "student",  # French/Dutch for internship
    "Statistical Programmer": "data-analyst",
    "Statistician": "data-scientist",
    "System Engineer": "sysadmin",
    "Systems Engineer": "sysadmin",  # doubtful: also a systems-engineering discipline
    "Tech Lead": "software-engineer",
    "Technical Lead": "software-engineer",
    "Technical Specialist": "support",
    "Technical Writer": "other",  # no SO or canonical counterpart
    "Technology Integrator": "consultant",
}


# Ordered keyword rules for titles not in AIJOBS_TITLE_ROLES (newer aijobs files add titles).
# The first rule whose regex matches the normalized (lower-case, '-'/'_' -> space) title wins;
# the order encodes the same decisions as the explicit table: internships and executives first,
# then management, then the most specific specialties, then generic words.
KEYWORD_ROLE_RULES: tuple[tuple[str, str], ...] = (
    (r"\b(intern|internship|trainee|apprentice|working student|werkstudent|stagiaire)\b", "student"),
    (r"\b(chief|cto|ceo|cdo|cio|caio|vice president|vp|svp|evp)\b", "executive"),
    (r"\bproduct (manager|owner|lead|director)\b|\bhead of product\b", "product-manager"),
    (r"\b(project|program|programme|delivery) manager\b|\bscrum master\b", "project-manager"),
    (r"\b(sales|account executive|account manager|business development|marketing manager)\b(?!.*\banalyst\b)", "sales-marketing"),
    (r"\b(founder|co founder|cofounder)\b", "founder"),
    (r"\b(head of|director|manager|team lead)\b", "engineering-manager"),
    (r"\b(quant|quantitative|actuar\w*|risk analyst|pricing analyst)\b", "financial-analyst"),
    (r"\bapplied (research |machine learning |ml |ai )?scientist\b", "applied-scientist"),
    (r"\b(data scien\w*|decision scien\w*|statistician)\b", "data-scientist"),
    (r"\b(postdoc\w*|postdoctoral|post doctoral|professor|research assistant|research associate|phd)\b", "academic-researcher"),
    (r"\b(bioinformatic\w*|computational biolog\w*|biologist|chemist|physicist)\b", "scientist"),
    (r"\bresearch analyst\b", "data-analyst"),
    (r"\b(research scientist|research engineer|researcher|scientist)\b", "ml-researcher"),
    (r"\b(prompt engineer|ai developer|ai programmer|ai software|chatbot|conversational ai|llm developer|genai developer)\b", "ai-developer"),
    (r"\barchitect", "architect"),
    (r"\b(analyst|analista|statistical programmer|sas)\b", "data-analyst"),
    (r"\b(database|dba)\b", "dba"),
    (r"\b(data engineer\w*|analytics engineer|etl|elt|data pipeline|big data|data platform|data infrastructure|dataops|data integration|data warehouse|data modeler|databricks|spark|hadoop|data (\w+ )?(engineer|developer))\b", "data-engineer"),
    (r"\b(machine learning|ml|mlops|deep learning|computer vision|machine vision|nlp|natural language|llm|ai|artificial intelligence|genai|generative ai|reinforcement learning|algorithms?|member of technical staff)\b", "ml-engineer"),
    (r"\b(analytics|business intelligence|bi|power bi|tableau|reporting|visuali[sz]ation|insights?)\b", "data-analyst"),
    (r"\b(site reliability|sre)\b", "sre"),
    (r"\b(devops|dev ops|platform engineer|build engineer|release engineer)\b", "devops"),
    (r"\b(cloud|infrastructure)\b", "cloud"),
    (r"\b(security|secops|infosec|cyber\w*|penetration tester|pentester)\b", "security"),
    (r"\b(qa|quality assurance|test|tester|sdet)\b", "qa"),
    (r"\bfront ?end\b", "frontend"),
    (r"\bback ?end\b", "backend"),
    (r"\bfull ?stack\b", "full-stack"),
    (r"\b(mobile|ios|android)\b", "mobile"),
    (r"\b(embedded|firmware|robotic\w*)\b", "embedded"),
    (r"\b(game|gameplay|graphics)\b", "game"),
    (r"\b(hardware|electrical|electronics|technician|fpga|asic|controls engineer)\b", "hardware"),
    (r"\b(blockchain|web3|smart contract|solidity)\b", "blockchain"),
    (r"\b(systems? (administrator|admin|engineer)|sysadmin|administrator)\b", "sysadmin"),
    (r"\b(support|help ?desk|technical specialist)\b", "support"),
    (r"\b(consultant|consulting|advisor|solutions? engineer)\b", "consultant"),
    (r"\b(designer|ux|ui)\b", "designer"),
    (r"\b(developer advocate|devrel|developer relations|evangelist)\b", "developer-relations"),
    (r"\b(teacher|instructor|lecturer|educator|trainer)\b", "educator"),
    (r"\bdata\b", "data-analyst"),
    (r"\b(engineer|developer|programmer|software|swe|sde|coder|tech lead|technical lead)\b", "software-engineer"),
    (r"\b(lead|head)\b", "engineering-manager"),
    (r"\bwriter\b", "other"),
)


# --------------------------------------------------------------------------------------------
# Industry
# --------------------------------------------------------------------------------------------

# SO Industry: 2023 (12 options), 2024 and 2025 (15 options, the same list in both years).
INDUSTRY: dict[str, tuple[str, ...]] = {
    "software-and-it": (
        "Information Services, IT, Software Development, or other Technology",  # 2023
        "Software Development",  # 2024/2025
        "Computer Systems Design and Services",  # 2024/2025
        "Internet, Telecomm or Information Services",  # 2024/2025
        "tech",
        "technology",
        "software",
        "it",
        "information technology",
        "saas",
        "internet",
        "telecom",
        "telecommunications",
    ),
    "finance": (
        "Financial Services",  # 2023
        "Fintech",  # 2024/2025
        "Banking/Financial Services",  # 2024/2025
        "finance",
        "financial",
        "banking",
        "bank",
    ),
    "healthcare": ("Healthcare", "health", "medical", "health care"),
    "manufacturing-and-logistics": (
        "Manufacturing, Transportation, or Supply Chain",  # 2023
        "Manufacturing",  # 2024/2025
        "Transportation, or Supply Chain",  # 2024/2025
        "transportation",
        "logistics",
        "supply chain",
        "automotive",
    ),
    # SO 2023 had "Wholesale" next to retail; 2024 dropped it.
    "retail-and-wholesale": ("Retail and Consumer Services", "Wholesale", "retail", "e-commerce", "ecommerce"),
    "higher-education": ("Higher Education", "education", "university", "academia"),
    "insurance": ("Insurance", "insurtech"),
    "media-and-advertising": (
        "Advertising Services",  # 2023
        "Media & Advertising Services",  # 2024/2025
        "media",
        "advertising",
        "adtech",
    ),
    "energy": ("Oil & Gas", "Energy", "oil and gas", "utilities"),  # 2023, 2024/2025
    "government": ("Government", "public sector"),  # 2024/2025 only
    "legal": ("Legal Services", "legal", "law"),  # 2023 only
    # The catch-all is spelled "Other" (2023), "Other:" (2024) and "Other:" or
    # "Other (please specify):" (2025, sources differ).
    "other": ("Other", "Other:", "Other (please specify):"),
}


# --------------------------------------------------------------------------------------------
# Company size
# --------------------------------------------------------------------------------------------

# SO OrgSize in the long spelling ("20 to 99 employees"; 2023 full file, 2024, 2025) and the
# short spelling of the SO 2023 subset ("20-99"), plus aijobs company_size codes.
COMPANY_SIZE: dict[str, tuple[str, ...]] = {
    "micro": (  # 1-9 employees
        "Just me - I am a freelancer, sole proprietor, etc.",
        "2 to 9 employees",
        "2-9",
        "1-9",
        "micro",
        "freelancer",
        "just me",
    ),
    "small": (  # 10-99 employees
        "10 to 19 employees",
        "10-19",
        "20 to 99 employees",
        "20-99",
        # SO 2025 merged "2 to 9" and "10 to 19" into "Less than 20 employees": it straddles
        # micro and small. Mapped to small (aijobs S, "<50", is a mixed band in small too);
        # freelancers keep their own option in 2025, so they stay micro.
        "Less than 20 employees",
        "10-99",
        # aijobs S = fewer than 50 employees: approximate, it also holds some micro companies.
        "S",
        "small",
    ),
    "medium": (  # 100-999 employees
        "100 to 499 employees",
        "100-499",
        "500 to 999 employees",
        "500-999",
        "100-999",
        # aijobs M = 50-250 employees: approximate, it overlaps small and medium.
        "M",
        "medium",
    ),
    "large": (  # 1,000-9,999 employees
        "1,000 to 4,999 employees",
        "1,000-4,999",
        "5,000 to 9,999 employees",
        "5,000-9,999",
        "1,000-9,999",
        # aijobs L = more than 250 employees: approximate, it also holds medium and enterprise.
        "L",
        "large",
    ),
    "enterprise": ("10,000 or more employees", "10,000 or more", "10,000+", "enterprise"),  # 10,000+
}

# Employee-count bands for a plain number typed by a user ("250" -> medium).
COMPANY_SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (10, "micro"),
    (100, "small"),
    (1_000, "medium"),
    (10_000, "large"),
)


# --------------------------------------------------------------------------------------------
# Remote work
# --------------------------------------------------------------------------------------------

# SO RemoteWork (2022 "Fully remote"/"Full in-person", 2023/2024 three options, 2025 five
# options) and aijobs remote_ratio (percentage of remote work: 0, 50, 100).
REMOTE: dict[str, tuple[str, ...]] = {
    "remote": ("Remote", "Fully remote", "100", "full remote", "wfh", "work from home"),
    "hybrid": (
        "Hybrid (some remote, some in-person)",  # 2022-2024
        "Hybrid (some remote, leans heavy to in-person)",  # 2025
        "Hybrid (some in-person, leans heavy to flexibility)",  # 2025
        # 2025: the person chooses when to come in, i.e. part remote, part office. Mapped to
        # hybrid; some of these people may in practice work fully remote.
        "Your choice (very flexible, you can come in when you want or just as needed)",
        "50",
        "partially remote",
        "partly remote",
        "flexible",
    ),
    "in-person": ("In-person", "Full in-person", "0", "onsite", "on-site", "office", "in office", "in-office"),
}


# --------------------------------------------------------------------------------------------
# Country
# --------------------------------------------------------------------------------------------

# What pycountry (ISO 3166) does not resolve by name, official name, common name, alpha-2 or
# alpha-3. Keys are labels, values ISO alpha-2 codes; None = not a country.
COUNTRY_ALIASES: dict[str, str | None] = {
    # Stack Overflow spellings
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "United States of America": "US",
    "Iran, Islamic Republic of...": "IR",
    "Venezuela, Bolivarian Republic of...": "VE",
    "Republic of Korea": "KR",
    "Hong Kong (S.A.R.)": "HK",
    "Taiwan": "TW",
    "Congo, Republic of the...": "CG",
    "Democratic Republic of the Congo": "CD",
    "Libyan Arab Jamahiriya": "LY",
    "The former Yugoslav Republic of Macedonia": "MK",
    "Republic of North Macedonia": "MK",
    "Palestine": "PS",
    "Turkey": "TR",  # pycountry now says Türkiye
    "Cape Verde": "CV",  # pycountry: Cabo Verde
    "Swaziland": "SZ",  # pycountry: Eswatini
    "Micronesia, Federated States of...": "FM",
    # Kosovo has no ISO 3166-1 code; "XK" is the user-assigned code the EU, IMF and many
    # datasets use. pycountry lacks it, so it is handled here and in country_name().
    "Kosovo": "XK",
    "XK": "XK",
    "XKX": "XK",
    # SO answer option for people with no country of residence: no country, so no answer.
    "Nomadic": None,
    # Common short forms
    "USA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "America": "US",
    "United States": "US",
    "UK": "GB",
    "U.K.": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "South Korea": "KR",
    "Korea": "KR",  # what people mean in a salary tool; North Korea must be named
    "North Korea": "KP",
    "Russia": "RU",
    "Czechia": "CZ",
    "Czech Republic": "CZ",
    "Holland": "NL",
    "The Netherlands": "NL",
    "UAE": "AE",
    "Emirates": "AE",
    "Vietnam": "VN",
    "Ivory Coast": "CI",
    "Macedonia": "MK",
    "Laos": "LA",
    "Syria": "SY",
    "Moldova": "MD",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Iran": "IR",
    "Tanzania": "TZ",
    "Brunei": "BN",
    "Vatican": "VA",
    "Hong Kong": "HK",
    "Macau": "MO",
    "DR Congo": "CD",
    "DRC": "CD",
}

# Display names where pycountry's name reads like a registry entry ("Korea, Republic of").
# pycountry's common_name is used first when it has one (South Korea, Taiwan, Iran, …).
COUNTRY_DISPLAY_NAMES: dict[str, str] = {
    "XK": "Kosovo",
    "RU": "Russia",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "PS": "Palestine",
    "MK": "North Macedonia",
    "KR": "South Korea",
    "KP": "North Korea",
}

# "NA" is the SO marker for a missing answer in every column, including Country, so it is a
# non-answer here. Namibia is "Namibia" or "NAM"; aijobs files (ISO alpha-2) have no Namibia
# row so far, and pandas turns "NA" into NaN when reading them anyway.


# --------------------------------------------------------------------------------------------
# Skills
# --------------------------------------------------------------------------------------------

# One category per skill, named after the SO column it comes from.
SKILL_CATEGORIES: tuple[str, ...] = ("language", "database", "platform", "webframe", "misc_tech", "tools")

# (slug, display name, category, accepted labels). Labels are the SO spellings of every year
# (2023 subset and full file, 2024 full file, 2025 full file) and short forms.
# Category decisions for skills that moved between SO columns:
#   * 2025 folded the tools (Docker, Kubernetes, npm, Pip, …) into PlatformHaveWorkedWith; they
#     keep their 2023/2024 category "tools". Items new in the 2025 Platform list are "platform"
#     when they are hosting/cloud providers (Railway, Yandex Cloud) and "tools" otherwise
#     (Datadog, New Relic, Prometheus, Splunk, Poetry).
#   * Supabase is in Database (2023-2025) and Platform (2024/2025): database.
#   * "Databricks SQL" (Database 2024/2025) and "Databricks" (Platform 2024) are one skill,
#     databricks, category platform: the signal is "works on Databricks".
#   * Deno is a Webframe option (2023/2024); Bun is a Tools option: kept so.
#   * 2024's EmbeddedHaveWorkedWith (Arduino, Rasberry Pi, PlatformIO, ZMK, Zephyr) has no
#     category of its own: misc_tech.
_SKILL_ROWS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # --- LanguageHaveWorkedWith (2023, 2024, 2025) and 2025 PrimaryLanguage ---
    ("apl", "APL", "language", ()),
    ("ada", "Ada", "language", ()),
    ("apex", "Apex", "language", ()),
    ("assembly", "Assembly", "language", ("asm",)),
    ("bash", "Bash/Shell", "language", ("Bash/Shell (all shells)", "Bash/Shell", "shell", "sh", "zsh")),
    ("c", "C", "language", ()),
    ("csharp", "C#", "language", ("c#", "c sharp")),
    ("cpp", "C++", "language", ("c++", "cplusplus")),
    ("clojure", "Clojure", "language", ()),
    ("cobol", "COBOL", "language", ("Cobol",)),
    ("crystal", "Crystal", "language", ()),
    ("dart", "Dart", "language", ()),
    ("delphi", "Delphi", "language", ("object pascal",)),
    ("elixir", "Elixir", "language", ()),
    ("erlang", "Erlang", "language", ()),
    ("fsharp", "F#", "language", ("f#", "f sharp")),
    ("flow", "Flow", "language", ()),
    ("fortran", "Fortran", "language", ()),
    ("gdscript", "GDScript", "language", ()),
    ("gleam", "Gleam", "language", ()),
    ("go", "Go", "language", ("golang",)),
    ("groovy", "Groovy", "language", ()),
    ("html-css", "HTML/CSS", "language", ("html", "css", "html5")),
    ("haskell", "Haskell", "language", ()),
    ("java", "Java", "language", ()),
    ("javascript", "JavaScript", "language", ("js", "ecmascript")),
    ("julia", "Julia", "language", ()),
    ("kotlin", "Kotlin", "language", ()),
    ("lisp", "Lisp", "language", ("common lisp",)),
    ("lua", "Lua", "language", ()),
    ("matlab", "MATLAB", "language", ()),
    ("micropython", "MicroPython", "language", ()),
    ("mojo", "Mojo", "language", ()),
    ("nim", "Nim", "language", ()),
    ("ocaml", "OCaml", "language", ()),
    ("objective-c", "Objective-C", "language", ("objc", "obj-c")),
    ("php", "PHP", "language", ()),
    ("perl", "Perl", "language", ()),
    ("powershell", "PowerShell", "language", ("pwsh",)),
    ("prolog", "Prolog", "language", ()),
    ("python", "Python", "language", ("py", "python3")),
    ("r", "R", "language", ("rlang", "r language")),
    ("raku", "Raku", "language", ()),
    ("ruby", "Ruby", "language", ()),
    ("rust", "Rust", "language", ()),
    ("sas", "SAS", "language", ()),
    ("sql", "SQL", "language", ()),
    ("scala", "Scala", "language", ()),
    ("solidity", "Solidity", "language", ()),
    ("swift", "Swift", "language", ()),
    ("typescript", "TypeScript", "language", ("ts",)),
    ("vba", "VBA", "language", ()),
    ("visual-basic", "Visual Basic (.Net)", "language", ("Visual Basic", "vb.net", "vb")),
    ("zig", "Zig", "language", ()),
    # --- DatabaseHaveWorkedWith ---
    ("bigquery", "BigQuery", "database", ("google bigquery",)),
    ("cassandra", "Cassandra", "database", ("apache cassandra",)),
    ("clickhouse", "ClickHouse", "database", ("Clickhouse",)),
    ("cloud-firestore", "Cloud Firestore", "database", ("firestore",)),
    ("cockroachdb", "CockroachDB", "database", ("Cockroachdb",)),
    ("cosmos-db", "Cosmos DB", "database", ("cosmosdb", "azure cosmos db")),
    ("couchdb", "CouchDB", "database", ("Couch DB",)),
    ("couchbase", "Couchbase", "database", ()),
    ("datomic", "Datomic", "database", ()),
    ("duckdb", "DuckDB", "database", ()),
    ("dynamodb", "DynamoDB", "database", ("Dynamodb",)),
    ("elasticsearch", "Elasticsearch", "database", ("elastic search", "elastic")),
    ("eventstoredb", "EventStoreDB", "database", ()),
    ("firebase-realtime-database", "Firebase Realtime Database", "database", ()),
    ("firebird", "Firebird", "database", ()),
    ("h2", "H2", "database", ()),
    ("ibm-db2", "IBM DB2", "database", ("db2",)),
    ("influxdb", "InfluxDB", "database", ()),
    ("mariadb", "MariaDB", "database", ()),
    ("microsoft-access", "Microsoft Access", "database", ("ms access",)),
    ("sql-server", "Microsoft SQL Server", "database", ("mssql", "ms sql server", "sqlserver")),
    ("mongodb", "MongoDB", "database", ("mongo",)),
    ("mysql", "MySQL", "database", ()),
    ("neo4j", "Neo4j", "database", ("Neo4J",)),
    ("oracle", "Oracle", "database", ("Oracle Database", "oracle db")),
    ("pocketbase", "PocketBase", "database", ("Pocketbase",)),
    ("postgresql", "PostgreSQL", "database", ("postgres", "psql")),
    ("presto", "Presto", "database", ()),
    ("ravendb", "RavenDB", "database", ()),
    ("redis", "Redis", "database", ()),
    ("redshift", "Amazon Redshift", "database", ("redshift",)),
    ("sqlite", "SQLite", "database", ()),
    ("snowflake", "Snowflake", "database", ()),
    ("solr", "Solr", "database", ("apache solr",)),
    ("supabase", "Supabase", "database", ()),
    ("tidb", "TiDB", "database", ()),
    ("valkey", "Valkey", "database", ()),
    # --- PlatformHaveWorkedWith (cloud platforms) ---
    ("aws", "Amazon Web Services (AWS)", "platform", ("aws", "amazon web services")),
    ("alibaba-cloud", "Alibaba Cloud", "platform", ()),
    ("cloudflare", "Cloudflare", "platform", ()),
    ("colocation", "Colocation", "platform", ()),
    ("databricks", "Databricks", "platform", ("Databricks SQL",)),
    ("digitalocean", "DigitalOcean", "platform", ("Digital Ocean",)),
    ("firebase", "Firebase", "platform", ()),
    ("fly-io", "Fly.io", "platform", ()),
    ("gcp", "Google Cloud", "platform", ("gcp", "google cloud platform", "google cloud platform (gcp)")),
    ("heroku", "Heroku", "platform", ()),
    ("hetzner", "Hetzner", "platform", ()),
    ("ibm-cloud", "IBM Cloud", "platform", ("IBM Cloud Or Watson", "ibm watson")),
    ("linode", "Linode", "platform", ("Linode, now Akamai", "akamai")),
    ("managed-hosting", "Managed Hosting", "platform", ()),
    ("azure", "Microsoft Azure", "platform", ("azure",)),
    ("netlify", "Netlify", "platform", ()),
    ("ovh", "OVH", "platform", ("ovhcloud",)),
    ("openshift", "OpenShift", "platform", ()),
    ("openstack", "OpenStack", "platform", ()),
    ("oracle-cloud", "Oracle Cloud Infrastructure (OCI)", "platform", ("oci", "oracle cloud")),
    ("pythonanywhere", "PythonAnywhere", "platform", ()),
    ("railway", "Railway", "platform", ()),
    ("render", "Render", "platform", ()),
    ("scaleway", "Scaleway", "platform", ()),
    ("vmware", "VMware", "platform", ()),
    ("vercel", "Vercel", "platform", ()),
    ("vultr", "Vultr", "platform", ()),
    ("yandex-cloud", "Yandex Cloud", "platform", ()),
    # --- WebframeHaveWorkedWith ---
    ("asp-net", "ASP.NET", "webframe", ()),
    ("asp-net-core", "ASP.NET Core", "webframe", ("ASP.NET CORE",)),
    ("angular", "Angular", "webframe", ()),
    ("angularjs", "AngularJS", "webframe", ("angular.js",)),
    ("astro", "Astro", "webframe", ()),
    ("axum", "Axum", "webframe", ()),
    ("blazor", "Blazor", "webframe", ()),
    ("codeigniter", "CodeIgniter", "webframe", ()),
    ("deno", "Deno", "webframe", ()),
    ("django", "Django", "webframe", ()),
    ("drupal", "Drupal", "webframe", ()),
    ("elm", "Elm", "webframe", ()),
    ("express", "Express", "webframe", ("express.js", "expressjs")),
    ("fastapi", "FastAPI", "webframe", ()),
    ("fastify", "Fastify", "webframe", ()),
    ("flask", "Flask", "webframe", ()),
    ("gatsby", "Gatsby", "webframe", ()),
    ("htmx", "htmx", "webframe", ()),
    ("laravel", "Laravel", "webframe", ()),
    ("lit", "Lit", "webframe", ()),
    ("nestjs", "NestJS", "webframe", ()),
    ("nextjs", "Next.js", "webframe", ("next", "nextjs")),
    ("nodejs", "Node.js", "webframe", ("node", "nodejs")),
    ("nuxtjs", "Nuxt.js", "webframe", ("nuxt",)),
    ("phoenix", "Phoenix", "webframe", ()),
    ("play-framework", "Play Framework", "webframe", ()),
    ("qwik", "Qwik", "webframe", ()),
    ("react", "React", "webframe", ("react.js", "reactjs")),
    ("remix", "Remix", "webframe", ()),
    ("ruby-on-rails", "Ruby on Rails", "webframe", ("rails", "ror")),
    ("solidjs", "SolidJS", "webframe", ("Solid.js",)),
    ("spring-boot", "Spring Boot", "webframe", ()),
    ("strapi", "Strapi", "webframe", ()),
    ("svelte", "Svelte", "webframe", ("sveltekit",)),
    ("symfony", "Symfony", "webframe", ()),
    ("vuejs", "Vue.js", "webframe", ("vue",)),
    ("wordpress", "WordPress", "webframe", ()),
    ("yii", "Yii 2", "webframe", ("yii",)),
    ("jquery", "jQuery", "webframe", ()),
    # --- MiscTechHaveWorkedWith (2023, 2024) ---
    ("dotnet", ".NET (5+)", "misc_tech", (".NET", "dotnet", ".net core")),
    ("dotnet-framework", ".NET Framework (1.0 - 4.8)", "misc_tech", (".NET Framework",)),
    ("dotnet-maui", ".NET MAUI", "misc_tech", ("maui",)),
    ("kafka", "Apache Kafka", "misc_tech", ("kafka",)),
    ("spark", "Apache Spark", "misc_tech", ("spark", "pyspark")),
    ("cuda", "CUDA", "misc_tech", ()),
    ("capacitor", "Capacitor", "misc_tech", ()),
    ("cordova", "Cordova", "misc_tech", ("apache cordova",)),
    ("directx", "DirectX", "misc_tech", ()),
    ("electron", "Electron", "misc_tech", ()),
    ("flutter", "Flutter", "misc_tech", ()),
    ("gtk", "GTK", "misc_tech", ()),
    ("hadoop", "Hadoop", "misc_tech", ("apache hadoop",)),
    ("hugging-face", "Hugging Face Transformers", "misc_tech", ("hugging face", "huggingface", "transformers", "hf")),
    ("ionic", "Ionic", "misc_tech", ()),
    ("jax", "JAX", "misc_tech", ()),
    ("keras", "Keras", "misc_tech", ()),
    ("ktor", "Ktor", "misc_tech", ()),
    ("mfc", "MFC", "misc_tech", ()),
    ("micronaut", "Micronaut", "misc_tech", ()),
    ("mlflow", "MLflow", "misc_tech", ()),
    ("numpy", "NumPy", "misc_tech", ("np",)),
    ("opencl", "OpenCL", "misc_tech", ()),
    ("opengl", "OpenGL", "misc_tech", ()),
    ("opencv", "OpenCV", "misc_tech", ("Opencv", "cv2")),
    ("pandas", "Pandas", "misc_tech", ()),
    ("qt", "Qt", "misc_tech", ()),
    ("quarkus", "Quarkus", "misc_tech", ()),
    ("rabbitmq", "RabbitMQ", "misc_tech", ()),
    ("react-native", "React Native", "misc_tech", ()),
    ("roslyn", "Roslyn", "misc_tech", ()),
    ("ruff", "Ruff", "misc_tech", ()),
    ("scikit-learn", "Scikit-Learn", "misc_tech", ("sklearn", "scikit learn", "scikit")),
    ("spring", "Spring Framework", "misc_tech", ("spring",)),
    ("swiftui", "SwiftUI", "misc_tech", ()),
    ("tauri", "Tauri", "misc_tech", ()),
    ("tensorflow", "TensorFlow", "misc_tech", ("tf", "tensorflow2")),
    ("tidyverse", "Tidyverse", "misc_tech", ()),
    ("pytorch", "PyTorch", "misc_tech", ("Torch/PyTorch", "torch")),
    ("uno-platform", "Uno Platform", "misc_tech", ()),
    ("xamarin", "Xamarin", "misc_tech", ()),
    # 2024 EmbeddedHaveWorkedWith ("Rasberry Pi" is SO's spelling)
    ("arduino", "Arduino", "misc_tech", ()),
    ("raspberry-pi", "Raspberry Pi", "misc_tech", ("Rasberry Pi",)),
    ("platformio", "PlatformIO", "misc_tech", ()),
    ("zmk", "ZMK", "misc_tech", ()),
    ("zephyr", "Zephyr", "misc_tech", ()),
    # --- ToolsTechHaveWorkedWith (2023, 2024), folded into Platform in 2025 ---
    ("apt", "APT", "tools", ()),
    ("ansible", "Ansible", "tools", ()),
    ("ant", "Ant", "tools", ("apache ant",)),
    ("boost-test", "Boost.Test", "tools", ()),
    ("bun", "Bun", "tools", ()),
    ("cmake", "CMake", "tools", ()),
    ("cute", "CUTE", "tools", ()),
    ("cargo", "Cargo", "tools", ()),
    ("catch2", "Catch2", "tools", ()),
    ("chef", "Chef", "tools", ()),
    ("chocolatey", "Chocolatey", "tools", ()),
    ("composer", "Composer", "tools", ()),
    ("dagger", "Dagger", "tools", ()),
    ("datadog", "Datadog", "tools", ()),
    ("docker", "Docker", "tools", ()),
    ("elfspy", "ELFspy", "tools", ()),
    ("gcc", "GNU GCC", "tools", ("gcc",)),
    ("godot", "Godot", "tools", ()),
    ("google-test", "Google Test", "tools", ("gtest", "googletest")),
    ("gradle", "Gradle", "tools", ()),
    ("homebrew", "Homebrew", "tools", ("brew",)),
    ("kubernetes", "Kubernetes", "tools", ("k8s",)),
    ("clang", "LLVM's Clang", "tools", ("clang", "llvm")),
    ("msbuild", "MSBuild", "tools", ()),
    ("msvc", "MSVC", "tools", ()),
    ("make", "Make", "tools", ("gnu make", "makefile")),
    ("maven", "Maven (build tool)", "tools", ("maven",)),
    ("meson", "Meson", "tools", ()),
    ("new-relic", "New Relic", "tools", ()),
    ("ninja", "Ninja", "tools", ()),
    ("nix", "Nix", "tools", ()),
    ("nuget", "NuGet", "tools", ()),
    ("pacman", "Pacman", "tools", ()),
    ("pip", "Pip", "tools", ()),
    ("podman", "Podman", "tools", ()),
    ("poetry", "Poetry", "tools", ()),
    ("prometheus", "Prometheus", "tools", ()),
    ("pulumi", "Pulumi", "tools", ()),
    ("puppet", "Puppet", "tools", ()),
    ("qmake", "QMake", "tools", ()),
    ("scons", "SCons", "tools", ()),
    ("splunk", "Splunk", "tools", ()),
    ("terraform", "Terraform", "tools", ()),
    ("unity", "Unity 3D", "tools", ("unity",)),
    ("unreal-engine", "Unreal Engine", "tools", ("unreal",)),
    ("visual-studio-solution", "Visual Studio Solution", "tools", ()),
    ("vite", "Vite", "tools", ()),
    ("wasmer", "Wasmer", "tools", ()),
    ("webpack", "Webpack", "tools", ()),
    ("yarn", "Yarn", "tools", ()),
    # --- Not survey options: today's ML and data vocabulary, recognised so that a list naming
    # them is read rather than refused. No source asked about them, so the model has no data
    # for them: they come back as unmodelled_skills (a warning), never as an error. Categories
    # say where SO would file them; they are never "asked" in training.
    ("llm", "LLMs", "misc_tech", ("large language models", "large language model", "llms", "gpt", "openai", "openai api", "chatgpt", "claude", "gemini", "llama", "fine tuning", "fine-tuning", "prompt engineering")),
    ("genai", "Generative AI", "misc_tech", ("gen ai", "generative ai", "genai", "gen-ai", "diffusion models", "stable diffusion")),
    ("langchain", "LangChain", "misc_tech", ("lang chain", "langgraph")),
    ("llamaindex", "LlamaIndex", "misc_tech", ("llama index", "llama_index")),
    ("rag", "Retrieval-augmented generation (RAG)", "misc_tech", ("retrieval augmented generation", "retrieval-augmented generation")),
    ("vector-databases", "Vector databases", "database", ("vector database", "vector db", "vector dbs", "vectordb", "vector store", "vector stores", "vector search")),
    ("pinecone", "Pinecone", "database", ()),
    ("weaviate", "Weaviate", "database", ()),
    ("chroma", "Chroma", "database", ("chromadb",)),
    ("qdrant", "Qdrant", "database", ()),
    ("milvus", "Milvus", "database", ()),
    ("pgvector", "pgvector", "database", ()),
    ("faiss", "FAISS", "misc_tech", ()),
    ("vllm", "vLLM", "misc_tech", ()),
    ("ollama", "Ollama", "misc_tech", ()),
    ("airflow", "Apache Airflow", "tools", ("apache airflow",)),
    ("dbt", "dbt", "tools", ("data build tool", "dbt core", "dbt cloud")),
    ("dagster", "Dagster", "tools", ()),
    ("prefect", "Prefect", "tools", ()),
    ("kubeflow", "Kubeflow", "tools", ()),
    ("wandb", "Weights & Biases", "tools", ("weights and biases", "w&b", "weights & biases")),
    ("dvc", "DVC", "tools", ()),
    ("sagemaker", "Amazon SageMaker", "platform", ("aws sagemaker", "sagemaker")),
    ("vertex-ai", "Google Vertex AI", "platform", ("vertex ai", "vertex", "vertexai")),
    ("azure-ml", "Azure Machine Learning", "platform", ("azure ml", "azureml", "azure machine learning")),
    ("ray", "Ray", "misc_tech", ()),
    ("dask", "Dask", "misc_tech", ()),
    ("polars", "Polars", "misc_tech", ()),
    ("flink", "Apache Flink", "misc_tech", ("flink",)),
    ("beam", "Apache Beam", "misc_tech", ("apache beam",)),
    ("xgboost", "XGBoost", "misc_tech", ()),
    ("lightgbm", "LightGBM", "misc_tech", ()),
    ("catboost", "CatBoost", "misc_tech", ()),
    ("scipy", "SciPy", "misc_tech", ()),
    ("statsmodels", "statsmodels", "misc_tech", ()),
    ("spacy", "spaCy", "misc_tech", ()),
    ("nltk", "NLTK", "misc_tech", ()),
    ("onnx", "ONNX", "misc_tech", ("onnx runtime", "onnxruntime")),
    ("tensorrt", "TensorRT", "misc_tech", ()),
    ("triton", "Triton Inference Server", "misc_tech", ("triton inference server",)),
    ("deepspeed", "DeepSpeed", "misc_tech", ()),
    ("fastai", "fastai", "misc_tech", ()),
    ("lightning", "PyTorch Lightning", "misc_tech", ("pytorch lightning", "lightning")),
    ("streamlit", "Streamlit", "webframe", ()),
    ("gradio", "Gradio", "webframe", ()),
    ("machine-learning", "Machine learning", "misc_tech", ("machine learning", "ml")),
    ("deep-learning", "Deep learning", "misc_tech", ("deep learning", "dl")),
    ("nlp", "Natural language processing", "misc_tech", ("nlp", "natural language processing")),
    ("computer-vision", "Computer vision", "misc_tech", ("computer vision", "cv")),
    ("reinforcement-learning", "Reinforcement learning", "misc_tech", ("reinforcement learning",)),
    ("mlops", "MLOps", "tools", ("ml ops",)),
    ("statistics", "Statistics", "misc_tech", ("stats", "statistical modeling", "statistical modelling")),
    ("tableau", "Tableau", "tools", ()),
    ("power-bi", "Power BI", "tools", ("powerbi", "power bi")),
    ("excel", "Excel", "tools", ("microsoft excel", "ms excel")),
    ("looker", "Looker", "tools", ()),
    ("bandit", "bandit", "tools", ()),
    ("build2", "build2", "tools", ()),
    ("cppunit", "cppunit", "tools", ()),
    ("doctest", "doctest", "tools", ()),
    ("lest", "lest", "tools", ()),
    ("npm", "npm", "tools", ()),
    ("pnpm", "pnpm", "tools", ()),
    ("snitch", "snitch", "tools", ()),
    ("tunit", "tunit", "tools", ()),
)

SKILLS: dict[str, str] = {slug: display for slug, display, _category, _labels in _SKILL_ROWS}
_SKILL_CATEGORY: dict[str, str] = {slug: category for slug, _display, category, _labels in _SKILL_ROWS}


# --------------------------------------------------------------------------------------------
# Canonical values per categorical factor
# --------------------------------------------------------------------------------------------

def _seniority_table() -> dict[str, tuple[str, ...]]:
    table = {level: list(labels) for level, labels in SENIORITY.items()}
    for word, level in LEVELS.items():
        table[level].append(word)
    return {level: tuple(labels) for level, labels in table.items()}


_FACTOR_TABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "seniority": _seniority_table(),
    "education": EDUCATION,
    "role": ROLE,
    "industry": INDUSTRY,
    "company_size": COMPANY_SIZE,
    "remote": REMOTE,
}

# Display order = the order of each table above (low to high for ordered factors).
FACTOR_VALUES: dict[str, tuple[str, ...]] = {name: tuple(table) for name, table in _FACTOR_TABLES.items()}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

_MAX_LISTED = 10


class UnknownLabel(ValueError):
    """A label that no table maps. ``str(e)`` is one line that names the closest values."""

    def __init__(self, factor: str, value: str, suggestions: list[str] | None = None, valid: Iterable[str] = ()):
        self.factor = factor
        self.value = value
        self.suggestions = list(suggestions or [])[:3]
        noun = "skill" if factor == "skills" else factor
        head = f"unknown {noun} {_show(value)}"
        if self.suggestions:
            quoted = [f"'{s}'" for s in self.suggestions]
            options = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
            message = f"{head}; did you mean {options}?"
        else:
            listed = list(valid)
            if not listed:
                message = f"{head}; see `mlsalary options {factor}`"
            elif len(listed) > _MAX_LISTED:
                message = f"{head}; valid values: {', '.join(listed[:_MAX_LISTED])}, …, see `mlsalary options {factor}`"
            else:
                message = f"{head}; valid values: {', '.join(listed)}"
        super().__init__(message)


_MAX_SHOWN = 60


def _show(value: object) -> str:
    # repr() keeps the message on one line and escapes control characters and lone surrogates
    # (they must not reach a terminal); a long value is cut, so a message stays one short line.
    text = value if isinstance(value, str) else str(value)
    if len(text) > _MAX_SHOWN:
        return repr(text[: _MAX_SHOWN - 3])[:-1] + "...'"
    return repr(text)


# --------------------------------------------------------------------------------------------
# Matching keys
# --------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-"})


def _key(label: str) -> str:
    """Comparison key: case, accents, apostrophes, '-'/'_' vs space and thousands commas ignored."""
    text = unicodedata.normalize("NFKD", label.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # "10,000" -> "10000"
    text = re.sub(r"[-_\s]+", " ", text)
    return text.strip()


_NO_ANSWER_KEYS = frozenset(_key(label) for label in NO_ANSWER_LABELS)


def _as_text(label: object) -> str | None:
    """The label as text, or None for a missing value (None, float NaN)."""
    if label is None:
        return None
    if isinstance(label, float):
        if math.isnan(label):
            return None
        return str(int(label)) if label.is_integer() else str(label)
    return label if isinstance(label, str) else str(label)


def _build_index(name: str, table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    # Every canonical value matches itself; a key claimed by two values is a bug in the tables.
    index: dict[str, str] = {}
    for canonical, labels in table.items():
        for label in (canonical, *labels):
            key = _key(label)
            if index.get(key, canonical) != canonical:
                raise RuntimeError(f"taxonomy {name}: {label!r} maps to both {index[key]!r} and {canonical!r}")
            index[key] = canonical
    return index


def _role_table() -> dict[str, list[str]]:
    table = {canonical: list(labels) for canonical, labels in ROLE.items()}
    for title, role in AIJOBS_TITLE_ROLES.items():
        table[role].append(title)
    return table


# The look-up indexes are built on first use: `mlsalary --help` and `options` never need them.


@functools.cache
def _indexes() -> dict[str, dict[str, str]]:
    indexes = {name: _build_index(name, _role_table() if name == "role" else table) for name, table in _FACTOR_TABLES.items()}
    for name, index in indexes.items():
        clash = _NO_ANSWER_KEYS & set(index)
        if clash:
            raise RuntimeError(f"taxonomy {name}: {sorted(clash)} are both no-answer and a value")
    return indexes


@functools.cache
def _skill_index() -> dict[str, str]:
    return _build_index("skills", {slug: (display, *labels) for slug, display, _category, labels in _SKILL_ROWS})


@functools.cache
def _title_index() -> dict[str, str]:
    return {_key(title): role for title, role in AIJOBS_TITLE_ROLES.items()}


@functools.cache
def _keyword_rules() -> tuple:
    return tuple((re.compile(pattern), role) for pattern, role in KEYWORD_ROLE_RULES)


def _suggest(key: str, index: dict[str, str], show=lambda value: value) -> list[str]:
    """Up to three canonical values whose labels are closest to key, best first."""
    if not key or len(key) > 100:
        return []  # no label is that long; fuzzy matching it would only cost time
    scored = []
    for candidate, value in index.items():
        ratio = difflib.SequenceMatcher(None, key, candidate).ratio()
        if ratio >= 0.75:
            scored.append((ratio, value))
    scored.sort(key=lambda item: -item[0])
    suggestions: list[str] = []
    best = scored[0][0] if scored else 0.0
    for ratio, value in scored:
        # Keep only matches about as good as the best: a clear typo gets one answer.
        if ratio < best - 0.1:
            break
        shown = show(value)
        if shown not in suggestions:
            suggestions.append(shown)
        if len(suggestions) == 3:
            break
    return suggestions


# --------------------------------------------------------------------------------------------
# Public API: categorical factors
# --------------------------------------------------------------------------------------------


def normalize(factor: str, label: object) -> str | None:
    """Canonical value of ``label`` for ``factor``; None for a non-answer.

    ``factor`` is one of FACTOR_VALUES, "country" (ISO alpha-2 result) or "skills" (slug).
    Raises UnknownLabel when nothing maps.
    """
    if factor == "country":
        return normalize_country(label)
    if factor == "skills":
        text = _as_text(label)
        if text is None or _key(text) in _NO_ANSWER_KEYS:
            return None
        return normalize_skill(text)
    if factor not in _FACTOR_TABLES:
        raise ValueError(f"unknown factor {factor!r}; factors: {', '.join([*FACTOR_VALUES, 'country', 'skills'])}")
    text = _as_text(label)
    if text is None:
        return None
    key = _key(text)
    if key in _NO_ANSWER_KEYS:
        return None
    index = _indexes()[factor]
    if key in index:
        return index[key]
    if factor == "remote":
        value = _remote_from_ratio(key)
        if value is not None:
            return value
    if factor == "company_size":
        value = _company_size_from_count(key)
        if value is not None:
            return value
    if factor == "seniority":
        value = ladder_level(key)
        if value is not None:
            return value
    raise UnknownLabel(factor, text, _suggest(key, index), FACTOR_VALUES[factor])


def _remote_from_ratio(key: str) -> str | None:
    # aijobs remote_ratio is a percentage; only 0/50/100 occur, but any share in between is
    # hybrid by definition.
    try:
        ratio = float(key.rstrip("%").strip())
    except ValueError:
        return None
    if ratio == 0:
        return "in-person"
    if ratio == 100:
        return "remote"
    if 0 < ratio < 100:
        return "hybrid"
    return None


def _company_size_from_count(key: str) -> str | None:
    # A plain employee count typed by a user ("250"): banded like the canonical values.
    # isascii: str.isdigit accepts digits (U+1369, U+10A40) that int() rejects.
    if not (key.isascii() and key.isdigit()) or int(key) < 1:
        return None
    count = int(key)
    for upper, value in COMPANY_SIZE_BANDS:
        if count < upper:
            return value
    return "enterprise"


def role_from_job_title(title: object) -> str | None:
    """aijobs.net free-text job title -> canonical role; None when no rule matches.

    The explicit AIJOBS_TITLE_ROLES table decides first, then KEYWORD_ROLE_RULES in order.
    """
    text = _as_text(title)
    if text is None:
        return None
    key = _key(text)
    if not key or key in _NO_ANSWER_KEYS:
        return None
    titles = _title_index()
    if key in titles:
        return titles[key]
    words = re.sub(r"[^\w&/+ ]", " ", key)
    for pattern, role in _keyword_rules():
        if pattern.search(words):
            return role
    return None


# Specialisations with too few rows in the data to be told apart: a title naming one is read as
# its nearest role, and the reading says so. (aijobs has e.g. ~100 computer-vision and ~50 NLP
# rows among 33,000, and SO has no such role; the training data files them as below.)
SPECIALISATIONS: tuple[tuple[str, str], ...] = (
    (r"computer vision|machine vision|\bcv\b", "computer vision"),
    (r"\bnlp\b|natural language", "NLP"),
    (r"\bspeech\b|\basr\b", "speech"),
    (r"\bllm\b|\bgenai\b|generative ai|\bgen ai\b", "generative AI"),
    (r"deep learning", "deep learning"),
    (r"reinforcement learning|\brl\b", "reinforcement learning"),
    (r"recommend\w*|\brecsys\b|\bsearch\b|\branking\b", "recommendation and search"),
    (r"\bmlops\b|ml platform|ml infra\w*", "MLOps"),
    (r"robotic\w*|autonomous|self driving", "robotics"),
)
# The role a specialisation title is read as, by its last word.
_SPECIALIST_ROLE = (
    (r"\b(scientist|researcher|research)\b", "ml-researcher"),
    (r"\b(engineer|developer|specialist|expert|programmer)\b", "ml-engineer"),
)


# Level words that name a kind of job as well: the training rules give these titles their role
# (intern -> student; head, director -> engineering-manager; VP, chief -> executive).
_ROLE_BEARING_LEVELS = frozenset({"intern", "internship", "trainee", "apprentice", "head", "director", "vp", "svp", "evp", "vice", "president", "chief"})


class TitleReading:
    """What a --role value or a title column said: a role, maybe a level, and how it was read."""

    __slots__ = ("text", "role", "seniority", "level_word", "note", "is_plain")

    def __init__(self, text: str, role: str, seniority: str | None = None, level_word: str | None = None,
                 note: str | None = None, *, is_plain: bool = False):
        self.text, self.role, self.seniority, self.level_word, self.note = text, role, seniority, level_word, note
        self.is_plain = is_plain  # the text is a role's own label: nothing to report


def _level_words(words: list[str]) -> tuple[str | None, str | None, list[str]]:
    """(seniority, the level words found, the other words) of a tokenised title.

    Two-word levels ("senior staff", "vice president") are matched first; Roman numerals count
    only as the last word; with several levels ("Senior Director") the highest wins.
    """
    order = FACTOR_VALUES["seniority"]
    found: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i:i + 2]) if i + 1 < len(words) else None
        if pair is not None and pair in LEVELS:
            found.append((pair, LEVELS[pair]))
            i += 2
            continue
        word = words[i]
        level = LEVELS.get(word)
        if level is None and (word not in ROMAN_LEVELS or i == len(words) - 1 and i > 0):
            level = ladder_level(word)
        if level is not None:
            found.append((word, level))
        else:
            rest.append(word)
        i += 1
    if not found:
        return None, None, rest
    best = max((level for _, level in found), key=order.index)
    return best, " ".join(word for word, _ in found), rest


def read_title(label: object) -> TitleReading | None:
    """A role (and a level when the text carries one) from a role value or a job title.

    "ml-engineer" -> ml-engineer; "Senior ML Engineer" -> ml-engineer, senior; "NLP Engineer"
    -> ml-engineer with a note that NLP is too thin in the data to be its own role. Titles are
    read with the rules that labelled the training rows (AIJOBS_TITLE_ROLES, then
    KEYWORD_ROLE_RULES), after the level words of LEVELS are set aside. A near miss of a known
    role ("data scientst") raises UnknownLabel with a suggestion instead of a guess.
    """
    text = _as_text(label)
    if text is None:
        return None
    key = _key(text)
    if not key or key in _NO_ANSWER_KEYS:
        return None
    index = _indexes()["role"]
    if key in _role_alias_keys():
        # A role's own label (canonical value, survey label, short form) carries no level, even
        # when it holds a level word ("Senior Executive (C-Suite, VP, etc.)", "intern"): the
        # surveys that use these labels have no seniority, and training left it unknown.
        return TitleReading(text, index[key], is_plain=True)
    words = re.sub(r"[^\w&/+.]|(?<!\w)\.|\.(?!\w)", " ", key).split()
    seniority, level_word, rest = _level_words(words)
    core = " ".join(rest)
    role = index.get(key)
    if role is None and (set(level_word.split()) & _ROLE_BEARING_LEVELS if level_word else False):
        # "Head of ML", "VP of Engineering", "ML Intern": the level word decides the role too,
        # as the rules that labelled the training titles say (managers, executives, students).
        role = role_from_job_title(text)
    if role is None and core:
        role = index.get(core)
    specialty = next((name for pattern, name in SPECIALISATIONS if re.search(pattern, " ".join(words))), None)
    if role is None and specialty is not None:
        role = next((r for pattern, r in _SPECIALIST_ROLE if re.search(pattern, core)), "ml-engineer")
    if role is None and len(core) >= 6:
        suggestions = _suggest(core, index)
        if suggestions:  # a near miss of a known role: ask rather than guess from keywords
            raise UnknownLabel("role", text, suggestions, FACTOR_VALUES["role"])
    if role is None:
        role = role_from_job_title(text)
    if role is None:
        if seniority is not None and not core:
            error = UnknownLabel("role", text, [], FACTOR_VALUES["role"])
            error.args = (f"role {_show(text)} names a level, not a role: give it as --seniority, and a role such as ml-engineer",)
            raise error
        raise UnknownLabel("role", text, _suggest(key, index), FACTOR_VALUES["role"])
    note = None
    if role == "student" and seniority == "entry" and key not in _role_alias_keys():
        note = "an internship is read as role student (the data files interns with students)"
    if specialty is not None and role in ("ml-engineer", "ml-researcher", "data-scientist", "ai-developer"):
        note = f"{specialty} has too few rows in the data to be a role of its own; nearest role used"
    return TitleReading(text, role, seniority, level_word, note)


@functools.cache
def _role_alias_keys() -> frozenset[str]:
    # Keys of the ROLE table proper (canonical values, SO labels, short forms): no reading shown.
    return frozenset(_key(label) for canonical, labels in ROLE.items() for label in (canonical, *labels))


def aliases(factor: str) -> dict[str, list[str]]:
    """Canonical value -> accepted labels (source labels and short forms), for `mlsalary options`."""
    if factor in _FACTOR_TABLES:
        table = _role_table() if factor == "role" else _FACTOR_TABLES[factor]
        return {canonical: _unique(table[canonical]) for canonical in FACTOR_VALUES[factor]}
    if factor == "skills":
        return {slug: _unique([display, *labels]) for slug, display, _category, labels in _SKILL_ROWS}
    if factor == "country":
        return _country_aliases()
    raise ValueError(f"unknown factor {factor!r}; factors: {', '.join([*FACTOR_VALUES, 'country', 'skills'])}")


def _unique(labels: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for label in labels:
        if label not in seen:
            seen.add(label)
            out.append(label)
    return out


# --------------------------------------------------------------------------------------------
# Public API: country
# --------------------------------------------------------------------------------------------

@functools.cache
def _country_alias_index() -> dict[str, str | None]:
    return {_key(label): code for label, code in COUNTRY_ALIASES.items()}


def _pycountry():
    import pycountry  # its database loads on first use; most commands never need it

    return pycountry


def _country_names(country) -> list[str]:
    names = [country.name]
    for attribute in ("common_name", "official_name"):
        value = getattr(country, attribute, None)
        if value and value not in names:
            names.append(value)
    return names


@functools.cache
def _country_name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in _pycountry().countries:
        for label in _country_names(country):
            index.setdefault(_key(label), country.alpha_2)
    return index


def normalize_country(label: object) -> str | None:
    """ISO 3166-1 alpha-2 code ("DE") of a country name or code; None for a non-answer.

    Resolves SO spellings, pycountry names/official names/common names, alpha-2 and alpha-3
    codes, and the aliases in COUNTRY_ALIASES. Raises UnknownLabel with name suggestions.
    """
    text = _as_text(label)
    if text is None:
        return None
    key = _key(text)
    if key in _NO_ANSWER_KEYS:
        return None
    alias_index, name_index = _country_alias_index(), _country_name_index()
    if key in alias_index:
        return alias_index[key]
    if key in name_index:
        return name_index[key]
    pycountry = _pycountry()
    compact = key.replace(".", "").replace(" ", "")
    if compact.isalpha() and len(compact) in (2, 3):
        found = pycountry.countries.get(**{"alpha_2" if len(compact) == 2 else "alpha_3": compact.upper()})
        if found is not None:
            return found.alpha_2
    try:
        return pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        pass
    code = _country_by_words(key)
    if code is not None:
        return code
    index = {**name_index, **{k: v for k, v in alias_index.items() if v is not None}}
    raise UnknownLabel("country", text, _suggest(key, index, country_name))


def _country_by_words(key: str) -> str | None:
    # Safe fuzzy search: accept a country when the label is a whole-word part of exactly one
    # country's names ("Micronesia", "Vatican City"). pycountry.search_fuzzy also matches
    # subdivisions ("Georgia" the US state), so it is not used. Ambiguous labels ("Congo",
    # "Guinea") and very short ones get no answer.
    if len(key) < 4:
        return None
    pattern = re.compile(rf"(^|\W){re.escape(key)}($|\W)")
    codes = {code for name, code in _country_name_index().items() if pattern.search(name)}
    return codes.pop() if len(codes) == 1 else None


def country_name(code: str) -> str:
    """Display name of a country code ("DE" -> "Germany"); also accepts any country label."""
    text = _as_text(code)
    alpha_2 = text.strip().upper() if text else ""
    if alpha_2 in COUNTRY_DISPLAY_NAMES:
        return COUNTRY_DISPLAY_NAMES[alpha_2]
    pycountry = _pycountry()
    country = pycountry.countries.get(alpha_2=alpha_2) if len(alpha_2) == 2 else None
    if country is None:
        resolved = normalize_country(code)
        if resolved is None:
            raise UnknownLabel("country", text or "", [], ())
        if resolved in COUNTRY_DISPLAY_NAMES:
            return COUNTRY_DISPLAY_NAMES[resolved]
        country = pycountry.countries.get(alpha_2=resolved)
    return getattr(country, "common_name", None) or country.name


def _country_aliases() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for country in _pycountry().countries:
        table[country.alpha_2] = _unique([*_country_names(country), country.alpha_3])
    table.setdefault("XK", [])
    for label, code in COUNTRY_ALIASES.items():
        if code is not None and label != code:
            table[code].append(label)
    return {code: _unique(labels) for code, labels in sorted(table.items())}


# --------------------------------------------------------------------------------------------
# Public API: skills
# --------------------------------------------------------------------------------------------


# Labels already resolved (batch files repeat the same few hundred skill spellings).
_SKILL_LABELS: dict[str, str] = {}


def normalize_skill(label: object) -> str:
    """Canonical skill slug ("Torch/PyTorch" -> "pytorch"); raises UnknownLabel("skills", …)."""
    if type(label) is str:
        known = _SKILL_LABELS.get(label)
        if known is not None:
            return known
    text = _as_text(label)
    key = _key(text) if text is not None else ""
    index = _skill_index()
    if key in index:
        if type(label) is str and len(label) <= 100:
            if len(_SKILL_LABELS) >= 10_000:
                _SKILL_LABELS.clear()  # bounded, whatever the input
            _SKILL_LABELS[label] = index[key]
        return index[key]
    raise UnknownLabel("skills", text if text is not None else "", _suggest(key, index), SKILLS)


def normalize_skills(labels: Iterable[object] | str) -> tuple[str, ...]:
    """Sorted unique slugs of several labels. A single string is split on ';' (SO cell format).

    Non-answers ("", "NA", NaN) are skipped; an unknown label raises UnknownLabel.
    """
    if isinstance(labels, str):
        labels = labels.split(";")
    slugs = set()
    for label in labels:
        known = _SKILL_LABELS.get(label) if type(label) is str else None
        if known is not None:
            slugs.add(known)
            continue
        text = _as_text(label)
        if text is None or _key(text) in _NO_ANSWER_KEYS:
            continue
        slugs.add(normalize_skill(text))
    return tuple(sorted(slugs))


def skill_category(slug: str) -> str:
    """SO column category of a skill slug (one of SKILL_CATEGORIES); accepts any skill label."""
    if slug in _SKILL_CATEGORY:
        return _SKILL_CATEGORY[slug]
    return _SKILL_CATEGORY[normalize_skill(slug)]
