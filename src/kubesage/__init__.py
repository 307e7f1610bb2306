"""kubesage: AI SRE assistant for Kubernetes."""

__version__ = "0.1.0"
