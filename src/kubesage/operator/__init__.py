"""The operator: kopf handlers, CRD models, the Result writer, sinks, metrics, leader election."""

GROUP = "core.kubesage.dev"
VERSION = "v1alpha1"
KUBESAGE_PLURAL = "kubesages"
RESULT_PLURAL = "results"
