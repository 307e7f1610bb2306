"""k8sgpt's prompt templates, byte-identical (literal TABs), and per-kind config overrides.

A template is trimmed, then filled like Go's Sprintf with (language, failure texts) in that
order. Overrides from config (`prompts: {<Kind>|default: template}`) may use the same `%s`
pair or the named placeholders `{language}` and `{error}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DEFAULT_PROMPT = (
    "Simplify the following Kubernetes error message delimited by triple dashes written in --- %s --- language;"
    " --- %s ---.\n"
    "\tProvide the most possible solution in a step by step style in no more than 280 characters."
    " Write the output in the following format:\n"
    "\tError: {Explain error here}\n"
    "\tSolution: {Step by step solution here}\n"
    "\t"
)

KYVERNO_PROMPT = (
    "Simplify the following Kyverno warnings message delimited by triple dashes written in --- %s --- language;"
    " --- %s ---.\n"
    "\tProvide the most probable solution as a kubectl command. \n"
    "\n"
    "\tWrite the output in the following format, for the solution, only show the kubectl command:\n"
    "\t\n"
    "\tError: {Explain error here}\n"
    "\n"
    "\tSolution: {kubectl command}\n"
    "\t"
)

PROM_CONF_PROMPT = (
    "Simplify the following Prometheus error message delimited by triple dashes written in --- %s --- language;"
    " --- %s ---.\n"
    "\tThis error came when validating the Prometheus configuration file.\n"
    "\tProvide step by step instructions to fix, with suggestions, referencing Prometheus documentation if relevant.\n"
    "\tWrite the output in the following format in no more than 300 characters:\n"
    "\tError: {Explain error here}\n"
    "\tSolution: {Step by step solution here}\n"
    "\t"
)

PROM_RELABEL_PROMPT = (
    "\n"
    "\tReturn your prompt in this language: %s, beginning with\n"
    "\tThe following is a list of the form:\n"
    "\tjob_name:\n"
    "\t{Prometheus job_name}\n"
    "\trelabel_configs:\n"
    "\t{Prometheus relabel_configs}\n"
    "\tkubernetes_sd_configs:\n"
    "\t{Prometheus service discovery config}\n"
    "\t---\n"
    "\t%s\n"
    "\t---\n"
    "\tFor each job_name, describe the Kubernetes service and pod labels,\n"
    "\tnamespaces, ports, and containers they match.\n"
    "\tReturn the message:\n"
    "\tDiscovered and parsed Prometheus scrape configurations.\n"
    "\tFor targets to be scraped by Prometheus, ensure they are running with\n"
    "\tat least one of the following label sets:\n"
    "\tThen for each job, write this format:\n"
    "\t- Job: {job_name}\n"
    "\t  - Service Labels:\n"
    "\t    - {list of service labels}\n"
    "\t  - Pod Labels:\n"
    "\t    - {list of pod labels}\n"
    "\t  - Namespaces:\n"
    "\t    - {list of namespaces}\n"
    "\t  - Ports:\n"
    "\t    - {list of ports}\n"
    "\t  - Containers:\n"
    "\t    - {list of container names}\n"
    "\t"
)

TRIVY_VULN_PROMPT = (
    "Explain the following trivy scan result and the detail risk or root cause of the CVE ID, then provide a"
    " solution. Response in %s: %s"
)
# No verbs: Go appended %!(EXTRA ...) garbage; `fill` appends the text instead.
TRIVY_CONF_PROMPT = (
    "Explain the following trivy scan result and the detail risk or root cause of the security check, then"
    " provide a solution."
)

PROMPT_MAP: dict[str, str] = {
    "default": DEFAULT_PROMPT,
    "VulnerabilityReport": TRIVY_VULN_PROMPT,
    "ConfigAuditReport": TRIVY_CONF_PROMPT,
    "PrometheusConfigValidate": PROM_CONF_PROMPT,
    "PrometheusConfigRelabelReport": PROM_RELABEL_PROMPT,
    "PolicyReport": KYVERNO_PROMPT,
    "ClusterPolicyReport": KYVERNO_PROMPT,
}

_NAMED = re.compile(r"\{(language|error)\}")


def template_for(kind: str, overrides: Mapping[str, str] | None = None) -> str:
    """Config override for the kind, else k8sgpt's kind template, else config `default`, else k8sgpt's."""
    overrides = overrides or {}
    if kind in overrides:
        return overrides[kind]
    if kind in PROMPT_MAP:
        return PROMPT_MAP[kind]
    return overrides.get("default", DEFAULT_PROMPT)


def fill(template: str, language: str, text: str) -> str:
    """The trimmed template with language then text substituted (k8sgpt's Sprintf order)."""
    t = template.strip()
    if _NAMED.search(t):
        return _NAMED.sub(lambda m: language if m.group(1) == "language" else text, t)
    args = [language, text]
    out: list[str] = []
    i = 0
    while i < len(t):
        ch = t[i]
        if ch == "%" and i + 1 < len(t) and t[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        if ch == "%" and i + 1 < len(t) and t[i + 1] == "s" and args:
            out.append(args.pop(0))
            i += 2
            continue
        out.append(ch)
        i += 1
    if len(args) == 2:  # no verbs at all: the text still has to reach the model
        out.append("\n" + text)
    elif len(args) == 1:  # one verb: it is the language; append the text
        out.append(" " + text)
    return "".join(out)
